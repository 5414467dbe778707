"""A python-websockets client run against our echo server by test/interop/python.test.js.

Usage: /usr/bin/python3 py_client.py URL deflate|none

Runs a fixed script (text, binary, 1 MiB, 16 MiB, close 4001) and prints one JSON object
per line describing what it sent and what came back; the Node test makes the assertions.
Python only reports facts (hashes, types, lengths), so a wrong echo shows up as a
precise assertion failure on the Node side, not as a Python traceback.
"""
import asyncio
import hashlib
import json
import os
import sys

import websockets

STEP_TIMEOUT = 20  # seconds per round trip; the Node side also kills us on its own timeout


def report(**fields):
    print(json.dumps(fields), flush=True)


def digest(data):
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


async def round_trip(ws, step, payload):
    await asyncio.wait_for(ws.send(payload), STEP_TIMEOUT)
    echoed = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    report(
        step=step,
        sent_type=type(payload).__name__,
        sent_len=len(payload),
        sent_sha256=digest(payload),
        got_type=type(echoed).__name__,
        got_len=len(echoed),
        got_sha256=digest(echoed),
    )


async def main(url, mode):
    compression = "deflate" if mode == "deflate" else None
    async with websockets.connect(
        url, compression=compression, max_size=None, open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT
    ) as ws:
        report(
            step="open",
            version=websockets.__version__,
            extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        )
        await round_trip(ws, "text", "h\u00e9llo \u2603 \U0001f600 from python")
        await round_trip(ws, "binary", bytes(range(256)))
        await round_trip(ws, "binary-1MiB", os.urandom(1 << 20))
        await round_trip(ws, "binary-16MiB", os.urandom(16 << 20))
        await asyncio.wait_for(ws.close(code=4001, reason="py says bye \u2603"), STEP_TIMEOUT)
        report(step="close", code=ws.close_code, reason=ws.close_reason)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
