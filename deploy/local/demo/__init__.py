"""`make demo`: a believable company in a running bizdev, made through the services' public
HTTP APIs only, as its people would make it (never a database write).

Every command carries an `Idempotency-Key` derived from what it says, so running
the demo again the same day replays the first answers and changes nothing; days later, when
the services have forgotten the keys, it stops at the first record it finds already made and
says so. Cross-service steps wait for the other service's reaction (a budget opened from an
approved plan, a receivable from a signed contract, an alert from a KRI) by asking for it,
never by sleeping a fixed time.

What the clock decides cannot be made at once and honestly: an invoice cannot be issued due
in the past, so the demo issues one due today, which the scheduler reports overdue
(`ReceivableOverdue`) once the day is over; a milestone and a follow-up visit due yesterday
are reported overdue at once. Records are kept for years after their file's active life
ended, so the demo's archive takes in a backfile: a trade fair's material five years old,
closed as of the day the fair ended, whose retention is therefore over.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping

import httpx
import launcher
from bizdev_common.auth import DEV_SECRET

from . import crm, finance, performance, projects, records, risk
from .client import Demo, DemoError
from .people import STAFF, last_month, last_quarter

__all__ = ["DEV_SECRET", "STAFF", "Demo", "check_up", "last_month", "last_quarter", "main"]

STORY: tuple[Callable[[Demo], None], ...] = (
    performance.organisation,
    crm.customers,
    projects.initiation,
    projects.planning,
    finance.budget,
    crm.contracts,
    crm.complaints,
    risk.risks,
    performance.performance_cycle,
    records.archive,
    records.backfile,
)
"""In the order the company lives it: each step reads what the ones before it made."""


def run(demo: Demo) -> None:
    started = time.monotonic()
    for step in STORY:
        step(demo)
    demo.say(f"done: {demo.commands} commands in {time.monotonic() - started:.0f}s")


def default_urls() -> dict[str, str]:
    return {name: f"http://127.0.0.1:{s.port}" for name, s in launcher.services().items()}


def check_up(urls: Mapping[str, str]) -> list[str]:
    """The services that do not answer /readyz as ready."""
    down = []
    for name, url in urls.items():
        try:
            r = httpx.get(f"{url}/readyz", timeout=3)
            if r.status_code != 200:
                down.append(f"{name} at {url}: {r.json().get('checks')}")
        except httpx.HTTPError:
            down.append(f"{name} at {url}: not answering")
    return down


WHERE_TO_LOOK = """
where to look (a token: make -s token ROLE=auditor DEPT=audit USER_ID=song.yi):
  projects    http://127.0.0.1:8001/docs   GET /projects, /milestones/overdue, /inbox
  crm         http://127.0.0.1:8002/docs   GET /customers, /complaints, /contracts
  finance     http://127.0.0.1:8003/docs   GET /budgets, /expenses, /receivables, /reports/profit
  risk        http://127.0.0.1:8004/docs   GET /risks, /kris, /alerts (as lin.tao, risk_officer)
  performance http://127.0.0.1:8005/docs   GET /people, /cycles, /evaluations, /decisions
  records     http://127.0.0.1:8006/docs   GET /files, /records, /loans, /destructions
  people: wang.jun (management), zhao.min (head of sales), li.na, tang.hui (hr), ma.lin
  (finance), lin.tao (risk officer), luo.yu (archivist), song.yi (auditor): make -s token
  ROLE=employee,department_head DEPT=sales USER_ID=zhao.min and look at their GET /inbox."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--urls",
        type=json.loads,
        default=None,
        help='JSON {"projects": "http://...", ...}; default: the ports `make up` uses',
    )
    args = parser.parse_args(argv)
    urls = args.urls or default_urls()
    down = check_up(urls)
    if down:
        print("bizdev is not up (start it with `make up` in another terminal):", file=sys.stderr)
        for line in down:
            print(f"  {line}", file=sys.stderr)
        return 2
    secret = os.environ.get("BIZDEV_JWT_SECRET", DEV_SECRET)
    print("making a company through the services' HTTP APIs:", flush=True)
    demo = Demo(urls, secret, lambda s: print(s, flush=True))
    made_before = bool(demo.performance.items("/people", "tang.hui", user_id="wang.jun"))
    if made_before:
        print("  (the company is there already: replaying, which changes nothing)", flush=True)
    try:
        run(demo)
    except DemoError as e:
        print(f"\nthe demo stopped: {e}", file=sys.stderr)
        if made_before:
            print(
                "The demo company was made before, long enough ago that the services forgot"
                " its Idempotency-Keys (24 h), so its records exist already and are not made"
                " twice. For a fresh company: stop `make up`, then `make clean`, `make up`,"
                " `make demo`.",
                file=sys.stderr,
            )
        return 1
    if args.urls is None:
        print(WHERE_TO_LOOK)
    return 0
