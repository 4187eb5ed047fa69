"""Thousands of position streams on bare sockets, in one process: ``python -m bench.sse_client``.

One ``asyncio.Protocol`` per stream and a regular expression over what arrives: no HTTP
library object per stream, so that one process holds ~10,000 of them. Every ``position``
message is recorded with the monotonic clock (shared by every process of the machine), so the
orchestrator can tell when each stream heard of each change.

Commands on stdin, one a line; each is answered by one line on stdout:
    open N     open streams (this process's tokens, in order) until N are open -> "open OK FAILED"
    report F   write every stream's messages to F as JSON                  -> "reported"
    quit       close everything and exit
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import sys
import time
from pathlib import Path
from typing import cast

CONNECTS_AT_ONCE = 256
"""Connections being opened at the same time: enough to be quick, few enough that the server's
accept backlog never overflows."""
CONNECT_SECONDS = 60.0
_MESSAGE = re.compile(rb"event: (\w+)\r\ndata: (\{[^\r\n]*\})")
_POSITION = re.compile(rb'"position":\s*(\d+)')


class Stream(asyncio.Protocol):
    def __init__(self, request: bytes) -> None:
        self._request = request
        self._buffer = b""
        self._headers_done = False
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.messages: list[tuple[int, int]] = []
        """(monotonic ns, position); position -1 for an outcome (admitted, sold_out...)."""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream connection's
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buffer = self._buffer + data
        if not self._headers_done:
            head, separator, rest = buffer.partition(b"\r\n\r\n")
            if not separator:
                self._buffer = buffer
                return
            self._headers_done = True
            if not self.opened.done():
                self.opened.set_result(head.startswith(b"HTTP/1.1 200"))
            buffer = rest
        # Messages end with a blank line; what follows the last one is kept for the next read.
        complete, _, self._buffer = buffer.rpartition(b"\r\n\r\n")
        for event, data_json in _MESSAGE.findall(complete):
            if event == b"position":
                found = _POSITION.search(data_json)
                self.messages.append((now, int(found.group(1)) if found else -1))
            else:
                self.messages.append((now, -1))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(False)


class Crowd:
    def __init__(self, host: str, port: int, tokens: list[str]) -> None:
        self._host = host
        self._port = port
        self._tokens = tokens
        self.streams: list[Stream] = []
        self.failed = 0

    async def open(self, count: int) -> None:
        gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
        loop = asyncio.get_running_loop()

        async def one(token: str) -> None:
            request = (
                f"GET /api/v1/queue/stream?token={token} HTTP/1.1\r\n"
                f"Host: {self._host}:{self._port}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
            async with gate:
                try:
                    _, stream = await loop.create_connection(
                        lambda: Stream(request), self._host, self._port
                    )
                    ok = await asyncio.wait_for(stream.opened, CONNECT_SECONDS)
                except (OSError, TimeoutError):
                    self.failed += 1
                    return
            if ok:
                self.streams.append(stream)
            else:
                self.failed += 1
                if stream.transport is not None:
                    stream.transport.close()

        start = len(self.streams) + self.failed
        await asyncio.gather(*(one(token) for token in self._tokens[start:count]))

    def report(self, path: Path) -> None:
        path.write_text(json.dumps({"streams": [stream.messages for stream in self.streams]}))

    def close(self) -> None:
        for stream in self.streams:
            if stream.transport is not None:
                stream.transport.close()


async def serve(crowd: Crowd) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, _, argument = line.partition(" ")
        if command == "open":
            await crowd.open(int(argument))
            answer = f"open {len(crowd.streams)} {crowd.failed}"
        elif command == "report":
            crowd.report(Path(argument))
            answer = "reported"
        elif command == "quit":
            break
        else:
            answer = f"unknown command {command!r}"
        print(answer, flush=True)
    crowd.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", type=Path, required=True, help="one token a line")
    arguments = parser.parse_args()
    # Every stream is a socket: allow as many open files as the hard limit does.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tokens = arguments.tokens.read_text().split()
    asyncio.run(serve(Crowd(arguments.host, arguments.port, tokens)))


if __name__ == "__main__":
    main()
