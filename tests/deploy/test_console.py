"""What `make up` prints: the services' table with their health, and their JSON log lines as
readable lines on a terminal (deploy/local/console.py)."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bizdev_common.observability import setup_logging

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import console  # noqa: E402


def a_service_log_line(message: str, level: int = logging.INFO, **extra: object) -> str:
    """A line exactly as a service writes it, through its own logging setup."""
    out = io.StringIO()
    setup_logging("crm", "worker", "DEBUG")
    logging.getLogger().handlers[0].setStream(out)  # type: ignore[attr-defined]
    logging.getLogger("bizdev_crm.test").log(level, message, extra=extra)
    return out.getvalue().splitlines()[-1]


def test_a_json_record_becomes_one_readable_line_with_its_key_fields() -> None:
    line = a_service_log_line(
        "complaint escalated", logging.WARNING, event_type="ComplaintEscalated", level_to="head"
    )
    assert json.loads(line)["message"] == "complaint escalated"
    shown = console.format_line(line, "crm/worker", use_colour=False)
    assert "\n" not in shown
    time_of_day, source, level, *_rest = shown.split()
    assert len(time_of_day) == 12
    assert time_of_day.count(":") == 2
    assert (source, level) == ("crm/worker", "WARNING")
    assert "complaint escalated" in shown
    assert "event_type=ComplaintEscalated" in shown
    assert "level_to=head" in shown
    assert "{" not in shown  # no JSON left
    assert "trace_id" not in shown
    assert "service=" not in shown


def test_the_correlation_id_follows_the_message() -> None:
    record = {
        "time": "2026-11-28T10:54:41.381Z",
        "level": "INFO",
        "logger": "x",
        "message": "done",
        "service": "crm",
        "correlation_id": "abc-123",
        "trace_id": None,
    }
    shown = console.format_line(json.dumps(record), "crm/api", use_colour=False)
    local = datetime(2026, 11, 28, 10, 54, 41, 381000, UTC).astimezone()
    assert shown.startswith(f"{local:%H:%M:%S}.381 crm/api")
    assert shown.endswith("done  correlation_id=abc-123")


def test_levels_and_services_are_coloured() -> None:
    error = json.dumps({"time": "t", "level": "ERROR", "message": "boom"})
    info = json.dumps({"time": "t", "level": "INFO", "message": "fine"})
    crm = console.service_colour(["crm", "finance"], "crm")
    finance = console.service_colour(["crm", "finance"], "finance")
    assert crm != finance
    red = console.format_line(error, "crm/api", crm)
    green = console.format_line(info, "finance/api", finance)
    assert console.LEVEL_COLOURS["ERROR"] + "ERROR" in red
    assert crm in red
    assert console.LEVEL_COLOURS["INFO"] + "INFO" in green
    assert finance in green
    assert "\033" not in console.format_line(error, "crm/api", crm, use_colour=False)


def test_a_line_that_is_not_a_record_is_shown_as_it_is_with_its_source() -> None:
    shown = console.format_line("Traceback (most recent call last):\n", "risk/api", "")
    assert shown.endswith("risk/api           Traceback (most recent call last):")


def test_an_exception_is_shown_below_its_line() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        out = io.StringIO()
        setup_logging("crm", "api", "INFO")
        logging.getLogger().handlers[0].setStream(out)  # type: ignore[attr-defined]
        logging.getLogger("x").exception("failed")
    shown = console.format_line(out.getvalue().splitlines()[-1], "crm/api", use_colour=False)
    first, *rest = shown.splitlines()
    assert "ERROR" in first
    assert "failed" in first
    assert "exc_info" not in first
    assert any("ValueError: bad" in x for x in rest)


def test_json_is_kept_off_a_terminal_or_when_asked() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert console.readable_logs(Tty(), env={})
    assert not console.readable_logs(Tty(), env={"BIZDEV_LOG_FORMAT": "json"})
    assert not console.readable_logs(io.StringIO(), env={})
    assert console.readable_logs(io.StringIO(), env={"BIZDEV_LOG_FORMAT": "text"})


def test_health_reads_each_state_of_readyz() -> None:
    ok = {
        "status": "ok",
        "ready": True,
        "checks": {"postgresql": "ok", "views": "ok", "kafka": "ok"},
    }
    assert console.health_of(ok) == "ready"
    degraded = {
        "status": "degraded",
        "ready": True,
        "dead_letters": 2,
        "checks": {"postgresql": "ok", "views": "ok", "kafka": "unreachable"},
    }
    assert console.health_of(degraded) == "degraded: kafka unreachable, 2 dead letter(s)"
    starting = {
        "status": "unavailable",
        "ready": False,
        "checks": {"postgresql": "ok", "views": "not built yet: a worker creates them"},
    }
    assert console.health_of(starting) == "not ready: views not built yet: a worker creates them"


def test_health_probes_the_url() -> None:
    answers = {"/readyz": (200, {"status": "ok", "checks": {}}), "/down": (503, {"status": "x"})}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers[self.path]
            self.send_response(status)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert console.health(f"{base}/readyz") == "ready"
        assert console.health(f"{base}/down").startswith("not ready")
    finally:
        server.shutdown()
        server.server_close()
    assert console.health(f"{base}/readyz", timeout=0.5) == "not answering"


def test_the_table_has_a_row_per_service_with_its_pages_and_health() -> None:
    rows = [
        console.Row("projects", 8001, 8101, "ready"),
        console.Row("performance", 8005, 8105, "degraded: 1 dead letter(s)"),
    ]
    text = console.table(rows)
    head, _rule, *lines = text.splitlines()
    assert head.split() == ["service", "API", "OpenAPI", "AsyncAPI", "worker", "health"]
    assert len(lines) == 2
    assert lines[0].split() == [
        "projects",
        "http://127.0.0.1:8001",
        "http://127.0.0.1:8001/docs",
        "http://127.0.0.1:8001/asyncapi",
        "http://127.0.0.1:8101/readyz",
        "ready",
    ]
    assert lines[1].endswith("degraded: 1 dead letter(s)")
    # aligned: each column starts at the same place on every line
    assert head.index("API") == lines[0].index("http") == lines[1].index("http")
    coloured = console.table(rows, use_colour=True)
    assert "\033[32mready" in coloured
    assert "\033[33mdegraded" in coloured
