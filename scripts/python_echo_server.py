"""An echo server built on the Python `websockets` package: the independent peer for
ws-client's interop test.

Listens on 127.0.0.1 (an ephemeral port unless one is given as the first argument),
prints the port on the first line of standard output, echoes every message (text or
binary) with permessage-deflate enabled and subprotocol "chat" available, and exits
when its standard input closes, so a test that dies leaves no server behind.
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    async with serve(
        echo,
        "127.0.0.1",
        port,
        subprotocols=["chat"],
        max_size=16 * 1024 * 1024,
        compression="deflate",
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
