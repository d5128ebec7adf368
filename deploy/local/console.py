"""What `make up` shows: the table of services with their health, and the services' logs as
readable lines on a terminal.

Standard library only, like the launcher, which runs before anything is installed. The
services always log JSON (one object per line, what a log pipeline reads); on a terminal the
launcher reads those lines and prints each as one line a person reads. `BIZDEV_LOG_FORMAT=json`
keeps the JSON on a terminal too.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

RESET = "\033[0m"
DIM = "\033[2m"
BOLD = "\033[1m"
LEVEL_COLOURS = {
    "DEBUG": DIM,
    "INFO": "\033[32m",
    "WARNING": "\033[33m",
    "ERROR": "\033[31m",
    "CRITICAL": "\033[1;31m",
}
SERVICE_COLOURS = ("\033[36m", "\033[35m", "\033[34m", "\033[33m", "\033[32m", "\033[96m")

KEY_FIELDS = ("correlation_id", "event_type", "ce_type", "aggregate_id", "consumer_group")
"""Fields a reader follows a request or an event by, shown after the message when present."""
QUIET_FIELDS = frozenset(
    {
        "time",
        "level",
        "logger",
        "message",
        "service",
        "role",
        "trace_id",
        "span_id",
        "taskName",
        "color_message",
    }
)
"""Fields every record has, shown in the line's own columns or not at all."""


def readable_logs(stream: IO[str], env: dict[str, str] | None = None) -> bool:
    """Readable lines on a terminal, unless BIZDEV_LOG_FORMAT=json asks for the JSON."""
    fmt = (env if env is not None else os.environ).get("BIZDEV_LOG_FORMAT", "").lower()
    if fmt == "json":
        return False
    if fmt in ("text", "pretty"):
        return True
    return stream.isatty()


def service_colour(names: Sequence[str], name: str) -> str:
    return SERVICE_COLOURS[sorted(names).index(name) % len(SERVICE_COLOURS)]


def format_line(line: str, source: str, colour: str = "", use_colour: bool = True) -> str:
    """One log line of a service as a person reads it: time, source (service/role), level,
    message, key fields. A line that is not a JSON log record (a traceback, a library
    printing) is shown as it is, after its source."""
    line = line.rstrip("\n")

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if use_colour and code else text

    tag = paint(colour, f"{source:<18}")
    try:
        record: Any = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict) or "message" not in record:
        return f"{' ' * 12} {tag} {line}"
    time_of_day = _time_of_day(str(record.get("time", "")))
    level = str(record.get("level", "INFO")).upper()
    text = f"{time_of_day:<12} {tag} {paint(LEVEL_COLOURS.get(level, ''), f'{level:<7}')} "
    text += str(record["message"])
    extras = [f"{k}={record[k]}" for k in KEY_FIELDS if record.get(k)]
    extras += [
        f"{k}={v}"
        for k, v in record.items()
        if k not in QUIET_FIELDS and k not in KEY_FIELDS and k != "exc_info" and v is not None
    ]
    if extras:
        text += "  " + paint(DIM, " ".join(extras))
    if record.get("exc_info"):
        text += "\n" + "\n".join(f"{' ' * 13}{x}" for x in str(record["exc_info"]).splitlines())
    return text


def _time_of_day(time: str) -> str:
    """A record's RFC 3339 UTC time as the terminal's local time of day: "10:54:41.381"."""
    try:
        at = datetime.fromisoformat(time)
    except ValueError:
        return time[:12]
    return at.astimezone().strftime("%H:%M:%S.%f")[:12]


# --- the table ---------------------------------------------------------------------------


def health(url: str, timeout: float = 2.0) -> str:
    """The state an API's /readyz reports: `ready`, `degraded: <why>`, `not ready: <why>`,
    or `not answering`."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - our own http URL
            body = json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            body = json.loads(e.read())
        except ValueError:
            return f"not ready: HTTP {e.code}"
    except (OSError, ValueError):
        return "not answering"
    return health_of(body)


def health_of(body: dict[str, Any]) -> str:
    checks = body.get("checks", {})
    status = body.get("status")
    if status == "ok":
        return "ready"
    if status == "degraded":
        why = []
        if checks.get("kafka") != "ok":
            why.append(f"kafka {checks.get('kafka')}")
        if body.get("dead_letters"):
            why.append(f"{body['dead_letters']} dead letter(s)")
        if "relay" in body:
            relay = body["relay"]
            at = relay.get("stuck_at") if isinstance(relay, dict) else relay
            why.append(f"relay stuck at {at}")
        return "degraded: " + ", ".join(why)
    failing = [f"{k} {v}" for k, v in checks.items() if v != "ok"]
    return "not ready: " + (", ".join(failing) or str(status))


@dataclass(frozen=True)
class Row:
    service: str
    port: int
    worker_port: int
    health: str


def table(rows: Sequence[Row], use_colour: bool = False) -> str:
    """The services, where to reach them and their health, as one aligned table."""
    head = ("service", "API", "OpenAPI", "AsyncAPI", "worker", "health")
    body = [
        (
            r.service,
            f"http://127.0.0.1:{r.port}",
            f"http://127.0.0.1:{r.port}/docs",
            f"http://127.0.0.1:{r.port}/asyncapi",
            f"http://127.0.0.1:{r.worker_port}/readyz",
            r.health,
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]

    def line(cells: Sequence[str], bold: bool = False) -> str:
        out = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        if use_colour:
            state = cells[-1]
            code = (
                "\033[32m"
                if state == "ready"
                else "\033[33m"
                if state.startswith("degraded")
                else "\033[31m"
            )
            if bold:
                return f"{BOLD}{out}{RESET}"
            if code:
                cut = out.rfind(state)
                return f"{out[:cut]}{code}{state}{RESET}"
        return out

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head, bold=True), rule, *(line(b) for b in body)])
