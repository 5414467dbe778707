"""A python-websockets echo server that our client talks to in test/interop/python.test.js.

Usage: /usr/bin/python3 py_echo_server.py
Prints {"event": "listening", "port": N, "version": V} once bound to 127.0.0.1:0, then
one JSON line per finished connection with the close code and reason it received.

Echoes every message (text as text, binary as binary), except two text commands:
  "please-ping"  the server pings with payload b"py-ping", waits for the pong and then
                 sends the text "pong-received" (proves the client answers pings)
  "please-close" the server closes with 4003 "py closes"
Stops when stdin reaches EOF, so it cannot outlive the test that started it.
"""
import asyncio
import json
import sys

import websockets

TIMEOUT = 20


def report(**fields):
    print(json.dumps(fields), flush=True)


async def handler(ws, path=None):  # websockets 10 passes path; newer versions do not
    try:
        async for message in ws:
            if message == "please-ping":
                pong = await ws.ping(b"py-ping")
                await asyncio.wait_for(pong, TIMEOUT)
                await ws.send("pong-received")
            elif message == "please-close":
                await ws.close(code=4003, reason="py closes")
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        report(
            event="closed",
            code=ws.close_code,
            reason=ws.close_reason,
            extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        )


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        report(event="listening", port=port, version=websockets.__version__)
        # Block until the parent closes our stdin (or dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
