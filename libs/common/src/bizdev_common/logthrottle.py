"""Kafka or PostgreSQL down must not flood the logs: aiokafka logs an ERROR per node at every
reconnect attempt of every client (tens of thousands of lines a minute for six workers), the
relay's librdkafka a line and an error at each of its own (producer.py: ~800 of each in a 60 s
outage), and psycopg's pools a WARNING at each of theirs (two a second:
database.reconnect_steadily). One line per message and node (librdkafka: its facility or error
code; a pool) per interval passes; the next one that passes says how many were held back."""

from __future__ import annotations

import logging
import threading
import time

INTERVAL_SECONDS = 30.0


class Throttle(logging.Filter):
    """Passes the first record of a kind (logger, message, first argument: the node) per
    `interval` seconds, and counts the rest."""

    def __init__(
        self,
        prefixes: tuple[str, ...] = ("aiokafka", "bizdev_common.producer", "psycopg.pool"),
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.interval = interval
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        key = (record.name, str(record.msg), str(args[0]) if args else "")
        now = time.monotonic()
        with self._lock:
            passed, held = self._last.get(key, (float("-inf"), 0))
            if now - passed < self.interval:
                self._last[key] = (passed, held + 1)
                return False
            self._last[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like it in the last {self.interval:.0f}s)"
        return True


def install(interval: float = INTERVAL_SECONDS) -> None:
    """On every handler of the root logger, where the Kafka clients' and psycopg's records go."""
    throttle = Throttle(interval=interval)
    for handler in logging.getLogger().handlers:
        handler.addFilter(throttle)
