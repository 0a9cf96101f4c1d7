"""Our client (the ws-client binary in --echo mode) against a Python `websockets`
server: the interop matrix of `cargo xtask interop`, driven from the server side.

Usage: py_server.py WS_CLIENT_BINARY CLIENT_PROPERTIES BUFFER_SIZE

For each check the server listens on 127.0.0.1, starts the client on a path naming
the check, sends messages and compares the echoes, then closes with a code and checks
the client's answer and exit status (0 for 1000, 3 for another code); for invalid
UTF-8 and a message over the client's BUFFER_SIZE it checks the client's own close
(1007, 1009) and a failure exit status. Prints
`RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; exits non-zero on a failure.
"""

import asyncio
import os
import sys

from websockets.asyncio.server import serve

CLIENT, PROPERTIES, BUFFER_SIZE = sys.argv[1], sys.argv[2], int(sys.argv[3])
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 16 << 20]
CLOSE_CODES = [1000, 1001, 1003, 1007, 1008, 1011, 3000, 4999]
TIMEOUT = 60
failed = False
pending = {}  # path -> future of (ok, detail)


def report(feature, ok, detail=""):
    global failed
    failed |= not ok
    print(f"RESULT\t{feature}\t{'PASS' if ok else 'FAIL'}\t{detail}", flush=True)


def text_of(n):
    pattern = "The quick brown fox jumps over the lazy dog 0123456789. "
    return (pattern * (n // len(pattern) + 1))[:n]


def deflate_negotiated(ws):
    return "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")


async def sizes(ws, kind, deflate):
    if deflate_negotiated(ws) != deflate:
        return False, f"permessage-deflate negotiated: {deflate_negotiated(ws)}", 1000
    for n in SIZES:
        payload = text_of(n) if kind == "text" else os.urandom(n)
        await ws.send(payload)
        echo = await ws.recv()
        if echo != payload:
            return False, f"{n} bytes: echo differs ({type(echo).__name__}, {len(echo)})", 1000
    return True, f"{len(SIZES)} sizes up to {SIZES[-1] >> 20} MiB", 1000


async def fragmented(ws):
    text_parts = ["héllo ", "wörld ", "✓😀", ""]
    binary_parts = [b"\x00\x01", b"", b"\xff" * 70000]
    await ws.send(text_parts)
    got = await ws.recv()
    if got != "".join(text_parts):
        return False, f"text echo {got!r}", 1000
    await ws.send(binary_parts)
    got = await ws.recv()
    if got != b"".join(binary_parts):
        return False, f"binary echo of {len(got)} bytes", 1000
    return True, "text and binary sent in fragments, echoed whole", 1000


async def ping_pong(ws):
    for payload in [b"", b"ping!", b"\x00" * 125]:
        await asyncio.wait_for(await ws.ping(payload), TIMEOUT)
    return True, "pings of 0, 5 and 125 bytes answered", 1000


async def close_code(ws, code):
    await ws.send("before close")
    await ws.recv()
    return True, "", code


async def client_closes(ws, expected):
    if expected == 1007:
        await ws.send(b"ok \xff\xfe", text=True)
    else:
        await ws.send(bytes(BUFFER_SIZE + 1))
    await ws.wait_closed()
    rcvd = ws.protocol.close_rcvd
    if rcvd is None:
        return False, "no close frame from the client", "client"
    return rcvd.code == expected, f"client closed with {rcvd.code}", "client"


async def subprotocol(ws):
    if ws.subprotocol != "chat":
        return False, f"negotiated {ws.subprotocol!r}", 1000
    return True, "client offered nope, chat; server chose chat", 1000


CASES = {}
for deflate in [True, False]:
    for kind in ["text", "binary"]:
        suffix = "deflate" if deflate else "no deflate"
        CASES[f"/{kind}-{'on' if deflate else 'off'}"] = (
            f"{kind} 0 B..16 MiB, {suffix}",
            [] if deflate else ["--no-deflate"],
            (lambda k, d: lambda ws: sizes(ws, k, d))(kind, deflate),
        )
CASES["/fragments"] = ("fragmented messages", [], fragmented)
CASES["/ping"] = ("ping/pong", [], ping_pong)
for code in CLOSE_CODES:
    CASES[f"/close-{code}"] = (f"close {code}", [], (lambda c: lambda ws: close_code(ws, c))(code))
CASES["/invalid-utf8"] = ("invalid UTF-8 from peer -> 1007", [], lambda ws: client_closes(ws, 1007))
CASES["/too-big"] = ("message over buffer size -> 1009", [], lambda ws: client_closes(ws, 1009))
CASES["/subprotocol"] = ("subprotocol", ["--protocol", "nope", "--protocol", "chat"], subprotocol)


async def handler(ws):
    path = ws.request.path
    future = pending.get(path)
    if future is None or future.done():
        await ws.close(1008, "unexpected path")
        return
    try:
        ok, detail, code = await CASES[path][2](ws)
        if code == "client":
            future.set_result((ok, detail, code))
            return
        await ws.close(code, "done")
        rcvd = ws.protocol.close_rcvd
        if ok and (rcvd is None or rcvd.code != code):
            ok, detail = False, f"client answered the close {code} with {rcvd and rcvd.code}"
        elif ok and not detail:
            detail = f"client answered {rcvd.code}"
        future.set_result((ok, detail, code))
    except Exception as e:  # a failed check, reported below
        future.set_result((False, f"{type(e).__name__}: {e}", None))


async def run_case(port, path):
    feature, flags, _ = CASES[path]
    future = asyncio.get_running_loop().create_future()
    pending[path] = future
    proc = await asyncio.create_subprocess_exec(
        CLIENT, "--echo", "--config", PROPERTIES, *flags, f"ws://127.0.0.1:{port}{path}",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        report(feature, False, "client did not exit")
        return
    try:
        # The handler may still be finishing the close handshake: wait for the
        # check's outcome (a hang guard, not a timing assertion).
        ok, detail, code = await asyncio.wait_for(future, 10)
    except asyncio.TimeoutError:
        report(feature, False, f"client exited {proc.returncode} before the check: {err.decode().strip()}")
        return
    # The client's own protocol-error close ends with 4 (failed); a close by the
    # server with a code other than 1000 with 3.
    expected_exit = 0 if code == 1000 else 4 if code == "client" else 3
    if ok and proc.returncode != expected_exit:
        ok, detail = False, f"client exit status {proc.returncode}, expected {expected_exit}: {err.decode().strip()}"
    report(feature, ok, detail + (f"; exit {proc.returncode}" if ok else ""))


def select_subprotocol(_connection, offered):
    return "chat" if "chat" in offered else None


async def main():
    async with serve(handler, "127.0.0.1", 0, select_subprotocol=select_subprotocol, max_size=32 << 20,
                     compression="deflate") as server:
        port = server.sockets[0].getsockname()[1]
        for path in CASES:
            await run_case(port, path)


asyncio.run(main())
sys.exit(1 if failed else 0)
