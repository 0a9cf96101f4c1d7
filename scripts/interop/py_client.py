"""Python `websockets` as a client of our server: the interop matrix of
`cargo xtask interop`.

Usage: py_client.py ws://HOST:PORT BUFFER_SIZE [deflate-only]

The server is the ws-server demo binary with text and binary buffers of BUFFER_SIZE
bytes (above 16 MiB). With `deflate-only`, only the permessage-deflate echoes run
(for a server started with another `--compression-level`).
Prints one line per check, `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail`, and exits
non-zero if a check failed.
"""

import asyncio
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BASE = sys.argv[1]
BUFFER_SIZE = int(sys.argv[2])
DEFLATE_ONLY = sys.argv[3:] == ["deflate-only"]
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 16 << 20]
CLOSE_CODES = [1000, 1001, 1003, 1007, 1008, 1011, 3000, 4999]
TIMEOUT = 60
failed = False


def report(feature, ok, detail=""):
    global failed
    failed |= not ok
    print(f"RESULT\t{feature}\t{'PASS' if ok else 'FAIL'}\t{detail}", flush=True)


def text_of(n):
    pattern = "The quick brown fox jumps over the lazy dog 0123456789. "
    return (pattern * (n // len(pattern) + 1))[:n]


def opts(deflate):
    return {"compression": "deflate" if deflate else None, "max_size": 32 << 20,
            "open_timeout": 10, "close_timeout": 10}


def negotiated_deflate(ws):
    return "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")


async def sizes(kind, deflate):
    async with connect(BASE + "/echo", **opts(deflate)) as ws:
        if negotiated_deflate(ws) != deflate:
            return False, f"permessage-deflate negotiated: {negotiated_deflate(ws)}"
        for n in SIZES:
            payload = text_of(n) if kind == "text" else os.urandom(n)
            await ws.send(payload)
            echo = await ws.recv()
            if echo != payload:
                return False, f"{n} bytes: echo differs ({type(echo).__name__}, {len(echo)})"
        return True, f"{len(SIZES)} sizes up to {SIZES[-1] >> 20} MiB"


async def fragmented():
    text_parts = ["héllo ", "wörld ", "✓😀", ""]
    binary_parts = [b"\x00\x01", b"", b"\xff" * 70000]
    for path in ["/echo", "/echo-partial", "/echo-stream"]:
        async with connect(BASE + path, **opts(True)) as ws:
            await ws.send(text_parts)
            got = await ws.recv()
            if got != "".join(text_parts):
                return False, f"{path}: text echo {got!r}"
            await ws.send(binary_parts)
            got = await ws.recv()
            if got != b"".join(binary_parts):
                return False, f"{path}: binary echo of {len(got)} bytes"
    return True, "text and binary in fragments to /echo, /echo-partial, /echo-stream"


async def ping_pong():
    async with connect(BASE + "/echo", **opts(True)) as ws:
        for payload in [b"", b"ping!", b"\x00" * 125]:
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, TIMEOUT)
    return True, "pings of 0, 5 and 125 bytes answered"


async def close_code(code):
    async with connect(BASE + "/echo", **opts(True)) as ws:
        await ws.send("before close")
        await ws.recv()
        await ws.close(code, "bye")
        rcvd = ws.protocol.close_rcvd
        if rcvd is None:
            return False, "no close frame from the server"
        if rcvd.code != code:
            return False, f"server answered {rcvd.code}"
        return True, f"server answered {rcvd.code}"


async def peer_error(expected):
    """Sends invalid UTF-8 (expected 1007) or a message over the buffer (1009)."""
    # Not `async with`: websockets 15 on Python 3.11 raises AttributeError from its
    # own close() when the peer closed while a large send was still pending (it
    # aborts a transport that is already gone); the close frame is what we check.
    ws = await connect(BASE + "/echo", **opts(False))
    try:
        if expected == 1007:
            await ws.send(b"ok \xff\xfe", text=True)
        else:
            await ws.send(bytes(BUFFER_SIZE + 1))
        await ws.recv()
        return False, "an echo instead of a close"
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    rcvd = ws.protocol.close_rcvd
    if rcvd is None:
        return False, "no close frame from the server"
    return rcvd.code == expected, f"server closed with {rcvd.code}"


async def subprotocol():
    cases = [(["nope", "echo.v2", "echo.v1"], "echo.v2"), (["echo.v1"], "echo.v1"), (["nope"], None)]
    for offered, expected in cases:
        async with connect(BASE + "/echo-stream", subprotocols=offered, **opts(True)) as ws:
            if ws.subprotocol != expected:
                return False, f"offered {offered}: got {ws.subprotocol!r}, expected {expected!r}"
    return True, "client's first supported protocol chosen; none when none matches"


async def chat():
    async with connect(BASE + "/chat", **opts(True)) as a:
        joined_a = await a.recv()
        async with connect(BASE + "/chat", **opts(False)) as b:
            await b.recv()  # its own join notice
            await a.recv()  # b's join notice, seen by a
            await a.send("<i>python</i>")
            got = await b.recv()
            name = joined_a[2:].split(" ")[0]
            expected = f"{name}: &lt;i&gt;python&lt;/i&gt;"
            if got != expected:
                return False, f"got {got!r}, expected {expected!r}"
    return True, "broadcast between two clients, HTML-escaped"


async def check(feature, coro):
    try:
        ok, detail = await asyncio.wait_for(coro, TIMEOUT)
    except (ConnectionClosed, OSError, asyncio.TimeoutError, Exception) as e:  # noqa: B014
        ok, detail = False, f"{type(e).__name__}: {e}"
    report(feature, ok, detail)


async def main():
    for deflate in [True] if DEFLATE_ONLY else [True, False]:
        suffix = "deflate" if deflate else "no deflate"
        for kind in ["text", "binary"]:
            await check(f"{kind} 0 B..16 MiB, {suffix}", sizes(kind, deflate))
    if DEFLATE_ONLY:
        return
    await check("fragmented messages", fragmented())
    await check("ping/pong", ping_pong())
    for code in CLOSE_CODES:
        await check(f"close {code}", close_code(code))
    await check("invalid UTF-8 from peer -> 1007", peer_error(1007))
    await check("message over buffer size -> 1009", peer_error(1009))
    await check("subprotocol", subprotocol())
    await check("chat broadcast", chat())


asyncio.run(main())
sys.exit(1 if failed else 0)
