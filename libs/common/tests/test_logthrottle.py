"""aiokafka's and psycopg's reconnect errors while Kafka or PostgreSQL is down: one line per
node (pool) per interval."""

from __future__ import annotations

import logging

from bizdev_common.logthrottle import Throttle


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
