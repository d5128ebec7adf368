"""`make bench`'s load generator keeps going when the server closes an idle keep-alive
connection, as uvicorn does after 5 s: the freshness section died there."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import loadgen  # noqa: E402


async def test_a_request_on_a_connection_the_server_closed_is_sent_again() -> None:
    received: list[bytes] = []

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # as a server does with a connection left idle

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = loadgen.Connection("127.0.0.1", port, "token")
    await connection.open()
    try:
        assert await connection.request("GET", "/first") == (200, b"ok")
        await asyncio.sleep(0.05)  # the server's close has arrived
        assert await connection.request("GET", "/second") == (200, b"ok")
    finally:
        connection.close()
        server.close()
    assert [r.split(b" ")[1] for r in received] == [b"/first", b"/second"]
