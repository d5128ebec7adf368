"""The Kafka clients' and psycopg's reconnect errors while Kafka or PostgreSQL is down: one line
per node (pool, kind of error) per interval."""

from __future__ import annotations

import logging
import socket
import time

from bizdev_common.logthrottle import Throttle
from bizdev_common.producer import BatchProducer


def record(name: str, node: int) -> logging.LogRecord:
    return logging.LogRecord(
        name, logging.ERROR, __file__, 1, "Unable connect to node with id %s: %s", (node, "x"), None
    )


def test_one_line_per_node_per_interval_and_the_count_of_the_rest() -> None:
    throttle = Throttle(interval=60)
    passed = [throttle.filter(record("aiokafka.conn", 1)) for _ in range(1000)]
    assert passed.count(True) == 1
    assert throttle.filter(record("aiokafka.conn", 2))  # another node: its own line
    assert throttle.filter(record("bizdev_common.relay", 1))  # not aiokafka: untouched
    throttle.interval = 0
    again = record("aiokafka.conn", 1)
    assert throttle.filter(again)
    assert "999 more like it" in again.getMessage()


def test_a_psycopg_pool_reconnecting_logs_one_line_per_pool_per_interval() -> None:
    throttle = Throttle(interval=60)

    def refused(pool: str) -> logging.LogRecord:
        return logging.LogRecord(
            "psycopg.pool",
            logging.WARNING,
            __file__,
            1,
            "error connecting in %r: %s",
            (pool, "connection refused"),
            None,
        )

    passed = [throttle.filter(refused("pool-1")) for _ in range(120)]
    assert passed.count(True) == 1
    assert throttle.filter(refused("pool-2"))


def test_the_relay_s_librdkafka_with_no_broker_logs_a_line_per_kind_per_interval() -> None:
    """A real librdkafka client whose broker refuses connections (a port nobody listens on):
    it logs a line and reports an error at every reconnect attempt, each with that attempt's
    timing in its text."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    every: list[logging.LogRecord] = []
    passed: list[logging.LogRecord] = []
    logger = logging.getLogger("bizdev_common.producer")
    handlers = [_Collect(every), _Collect(passed)]
    handlers[1].addFilter(Throttle(interval=60))
    for h in handlers:
        logger.addHandler(h)
    try:
        producer = BatchProducer(
            f"127.0.0.1:{port}", "throttled", **{"reconnect.backoff.max.ms": 100}
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            producer._producer.poll(0.2)
    finally:
        for h in handlers:
            logger.removeHandler(h)
    assert any("Connection refused" in r.getMessage() for r in every)
    kinds = {(r.msg, r.args[0] if isinstance(r.args, tuple) and r.args else None) for r in every}
    assert len(every) > 2 * len(kinds), "librdkafka tried to connect only once or twice"
    assert len(passed) == len(kinds), [r.getMessage() for r in passed]


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)
