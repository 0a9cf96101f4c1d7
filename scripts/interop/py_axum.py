"""Python `websockets` as a client of the axum example (ws-axum, examples/chat):
the axum rows of `cargo xtask interop`.

Usage: py_axum.py http://HOST:PORT

Prints one line per check, `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail`, and exits
non-zero if a check failed.
"""

import asyncio
import os
import sys
import urllib.request

from websockets.asyncio.client import connect

BASE = sys.argv[1].replace("http://", "ws://", 1)
HTTP = sys.argv[1]
TIMEOUT = 30
failed = False


def report(feature, ok, detail=""):
    global failed
    failed |= not ok
    print(f"RESULT\t{feature}\t{'PASS' if ok else 'FAIL'}\t{detail}", flush=True)


async def check(feature, run):
    try:
        ok, detail = await asyncio.wait_for(run(), TIMEOUT)
    except Exception as e:  # noqa: BLE001 - every failure is a reported check
        ok, detail = False, f"{type(e).__name__}: {e}"
    report(feature, ok, detail)


async def page():
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(HTTP + "/", timeout=10).read())
    return b"new WebSocket(" in body, f"{len(body)} bytes of HTML"


async def echo(deflate):
    async def run():
        compression = "deflate" if deflate else None
        async with connect(BASE + "/echo", compression=compression, max_size=4 << 20) as ws:
            ext = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            if ("permessage-deflate" in ext) != deflate:
                return False, f"extensions: {ext!r}"
            for n in [0, 125, 126, 65536, 1 << 20]:
                text = ("axum ✓ " * (n // 7 + 1))[:n]
                await ws.send(text)
                if await ws.recv() != text:
                    return False, f"text of {n} characters differs"
                data = os.urandom(n)
                await ws.send(data)
                if await ws.recv() != data:
                    return False, f"binary of {n} bytes differs"
        return ws.close_code == 1000, f"0 B to 1 MiB text and binary echoed; close {ws.close_code}"
    return run


async def chat():
    async with connect(BASE + "/chat", subprotocols=["chat"]) as a:
        first = await a.recv()
        async with connect(BASE + "/chat", subprotocols=["chat"]) as b:
            if b.subprotocol != "chat":
                return False, f"subprotocol {b.subprotocol!r}"
            joined = await b.recv()
            await a.recv()  # b's join, seen by a
            await a.send("hello from python")
            got = await b.recv()
            ok = got.endswith(": hello from python") and "joined" in first and "joined" in joined
            return ok, f"{first!r}, {joined!r}, {got!r}"


async def info():
    async with connect(BASE + "/info") as ws:
        seen = await ws.recv()
        return seen == "HTTP/1.1", f"server saw {seen!r}"


async def main():
    await check("page served by axum", page)
    await check("echo, permessage-deflate", await echo(True))
    await check("echo, no compression", await echo(False))
    await check("chat room, subprotocol", chat)
    await check("session info: HTTP/1.1", info)


asyncio.run(main())
sys.exit(1 if failed else 0)
