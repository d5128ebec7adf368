"""The load generator of `make bench`: its own process, speaking HTTP/1.1 over keep-alive
connections with requests prepared once, so that it spends little CPU per request and is not
what limits the figures (it reports its own CPU time beside them).

    python benchmarks/loadgen.py closed URL TOKEN --clients 8 --seconds 10
    python benchmarks/loadgen.py fresh URL TOKEN --rate 50 --seconds 10

`closed`: N clients each sending `POST /applications` back to back; latencies of every answer.
`fresh`: commands at a fixed rate (open loop); for each, the time from its 2xx to the answer
of `GET /applications/{id}?min_version=<its version>`, which waits until the view has it.
Prints one JSON object on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any
from urllib.parse import urlparse

BODY = json.dumps(
    {
        "title": "Smart factory retrofit 智能制造改造",
        "background": "The customer asked for a phased plan; 客户希望分阶段实施。",
        "target_customers": "Mid-sized manufacturers in the Yangtze delta",
        "expected_revenue": {"amount": "1250000.00", "currency": "CNY"},
        "preliminary_plan": "Pilot line in Q3, roll-out over two years.",
    },
    ensure_ascii=False,
).encode()


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Bearer {token}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """A connection the server closed while it was idle (uvicorn does after 5 s) answers
        nothing at all: the server never read the request, so it is sent once more on a new
        connection."""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n".encode()
            + b"Authorization: "
            + self.auth
            + b"\r\n"
        )
        if body:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        message = head + b"\r\n" + body
        status_line = await self._send(message)
        if not status_line:
            self.close()
            await self.open()
            status_line = await self._send(message)
            if not status_line:
                raise ConnectionError(f"{method} {path}: the server closed a new connection")
        status = int(status_line.split(b" ", 2)[1])
        assert self.reader is not None
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)

    async def _send(self, message: bytes) -> bytes:
        """The status line of the answer; empty when the server had closed the connection."""
        assert self.reader is not None
        assert self.writer is not None
        try:
            self.writer.write(message)
            await self.writer.drain()
            return await self.reader.readline()
        except (ConnectionResetError, BrokenPipeError):
            return b""


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def closed(url: str, token: str, clients: int, seconds: float, warmup: float) -> dict:
    u = urlparse(url)
    conns = [Connection(u.hostname or "127.0.0.1", u.port or 80, token) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measuring_from = start + warmup
    end = measuring_from + seconds
    cpu_from = 0.0

    async def client(c: Connection) -> None:
        nonlocal errors
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            status, _ = await c.request("POST", "/applications", BODY)
            t1 = time.perf_counter()
            if t0 >= measuring_from:
                if status == 201:
                    latencies.append(t1 - t0)
                else:
                    errors += 1

    async def mark_cpu() -> None:
        nonlocal cpu_from
        await asyncio.sleep(warmup)
        cpu_from = cpu_seconds()

    await asyncio.gather(mark_cpu(), *(client(c) for c in conns))
    cpu = cpu_seconds() - cpu_from
    for c in conns:
        c.close()
    return {"latencies": latencies, "errors": errors, "seconds": seconds, "cpu_seconds": cpu}


async def fresh(url: str, token: str, rate: float, seconds: float, warmup: float) -> dict:
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    idle: list[Connection] = []

    async def conn() -> Connection:
        if idle:
            return idle.pop()
        c = Connection(host, port, token)
        await c.open()
        return c

    freshness: list[float] = []
    command_latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()
    measuring_from = start + warmup

    async def one(sent_at: float) -> None:
        nonlocal errors
        c = await conn()
        try:
            status, body = await c.request("POST", "/applications", BODY)
            answered = time.perf_counter()
            if status != 201:
                statuses[status] = statuses.get(status, 0) + 1
                errors += 1
                return
            accepted = json.loads(body)
            # Read-your-writes as a frontend does it: the query waits (bounded) until its
            # view has reached the version the command returned.
            path = f"/applications/{accepted['id']}?min_version={accepted['version']}"
            status, body = await c.request("GET", path)
            if status != 200:
                statuses[status] = statuses.get(status, 0) + 1
                errors += 1
                return
            if sent_at >= measuring_from:
                freshness.append(time.perf_counter() - answered)
                command_latencies.append(answered - sent_at)
        finally:
            idle.append(c)

    tasks = []
    cpu_from = cpu_seconds()
    n = int(rate * (warmup + seconds))
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if i == int(rate * warmup):
            cpu_from = cpu_seconds()
        tasks.append(asyncio.create_task(one(time.perf_counter())))
    await asyncio.gather(*tasks)
    cpu = cpu_seconds() - cpu_from
    for c in idle:
        c.close()
    return {
        "freshness": freshness,
        "command_latencies": command_latencies,
        "errors": errors,
        "error_statuses": statuses,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "achieved_rate": len(freshness) / seconds,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["closed", "fresh"])
    p.add_argument("url")
    p.add_argument("token")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--warmup", type=float, default=2)
    a = p.parse_args()
    if a.mode == "closed":
        result: Any = asyncio.run(closed(a.url, a.token, a.clients, a.seconds, a.warmup))
    else:
        result = asyncio.run(fresh(a.url, a.token, a.rate, a.seconds, a.warmup))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
