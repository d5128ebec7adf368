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
import hashlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from bizdev_common import days
from bizdev_common.auth import DEV_SECRET, issue_token

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

NAMESPACE = uuid.UUID("6f1c8a52-2d0e-4c39-9a55-5b3c1f0d7e21")
"""Ids the demo makes up itself (a marketing file's subject) derive from this, so a second
run sends the same bodies."""
CNY = "CNY"


class DemoError(Exception):
    """A step the services refused, or a reaction that did not come."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    department: str
    position: str
    roles: tuple[str, ...]
    supervisor: str | None = None

    def token(self, secret: str) -> str:
        return str(issue_token(self.user_id, self.department, list(self.roles), secret=secret))


# The company: every role of the regulations' role table.
STAFF = [
    Person("wang.jun", "Wang Jun", "management", "Chief executive", ("employee", "management")),
    Person(
        "chen.li",
        "Chen Li",
        "management",
        "Deputy director",
        ("employee", "management"),
        "wang.jun",
    ),
    Person(
        "zhao.min",
        "Zhao Min",
        "sales",
        "Head of sales",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person("li.na", "Li Na", "sales", "Key account manager", ("employee",), "zhao.min"),
    Person("liu.yang", "Liu Yang", "sales", "Sales representative", ("employee",), "zhao.min"),
    Person("sun.hao", "Sun Hao", "sales", "Sales representative", ("employee",), "zhao.min"),
    Person(
        "zhou.xin",
        "Zhou Xin",
        "market",
        "Head of market research",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person("wu.fang", "Wu Fang", "market", "Market analyst", ("employee",), "zhou.xin"),
    Person(
        "hu.bo",
        "Hu Bo",
        "delivery",
        "Head of delivery",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person(
        "guo.qiang", "Guo Qiang", "delivery", "Project lead", ("employee", "team_lead"), "hu.bo"
    ),
    Person("he.jing", "He Jing", "delivery", "Solutions engineer", ("employee",), "guo.qiang"),
    Person(
        "ma.lin",
        "Ma Lin",
        "finance",
        "Head of finance",
        ("employee", "department_head", "finance"),
        "wang.jun",
    ),
    Person("xu.mei", "Xu Mei", "finance", "Accountant", ("employee", "finance"), "ma.lin"),
    Person("lin.tao", "Lin Tao", "risk", "Risk officer", ("employee", "risk_officer"), "wang.jun"),
    Person("luo.yu", "Luo Yu", "archives", "Archivist", ("employee", "archivist"), "wang.jun"),
    Person("gao.ping", "Gao Ping", "archives", "Archivist", ("employee", "archivist"), "luo.yu"),
    Person("tang.hui", "Tang Hui", "hr", "HR officer", ("employee", "hr"), "wang.jun"),
    Person("deng.ya", "Deng Ya", "hr", "HR officer", ("employee", "hr"), "tang.hui"),
    Person("song.yi", "Song Yi", "audit", "Internal auditor", ("auditor",), "wang.jun"),
]
HEADS = {"management": "wang.jun", "sales": "zhao.min", "market": "zhou.xin"}
HEADS |= {"delivery": "hu.bo", "finance": "ma.lin"}
HEADS |= {"risk": "lin.tao", "archives": "luo.yu", "hr": "tang.hui", "audit": "song.yi"}


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": CNY}


def last_quarter(today: date) -> str:
    """The last quarter that is over: a cycle is finalized only once its period is."""
    q = (today.month - 1) // 3  # 0..3, this quarter's index; the last one is q - 1
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


def last_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


class Service:
    """One service's API as the demo's people call it."""

    def __init__(self, name: str, url: str, demo: Demo) -> None:
        self.name = name
        self.http = httpx.Client(base_url=url, timeout=30)
        self.demo = demo

    def command(
        self, method: str, path: str, who: str, body: object = None, **kw: Any
    ) -> dict[str, Any]:
        self.demo.commands += 1
        # The same command of the story (who, what, on which record, with what) has the same
        # key in every run; no two commands of the story are alike.
        said = json.dumps([method, path, body, kw.get("params")], sort_keys=True)
        key = "bizdev-demo-" + hashlib.sha256(said.encode()).hexdigest()[:40]
        r = self.http.request(
            method,
            path,
            json=body,
            headers={**self.demo.auth(who), "Idempotency-Key": key, **kw.pop("headers", {})},
            **kw,
        )
        if r.status_code >= 300:
            raise DemoError(
                f"{self.name}: {who} {method} {path} answered {r.status_code}: {r.text}"
            )
        answer: dict[str, Any] = r.json()
        return answer

    def post(self, path: str, who: str, body: object = None) -> dict[str, Any]:
        return self.command("POST", path, who, body)

    def get(self, path: str, who: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=self.demo.auth(who))
        if r.status_code != 200:
            raise DemoError(f"{self.name}: {who} GET {path} answered {r.status_code}: {r.text}")
        return r.json()

    def seen(self, path: str, who: str, accepted: Mapping[str, Any]) -> Any:
        """A record once its view shows the version a command answered (read your writes)."""
        return self.get(path, who, min_version=accepted["version"])

    def listed(self, path: str, who: str, accepted: Mapping[str, Any], **params: Any) -> Any:
        return self.get(
            path, who, wait_for=accepted["id"], min_version=accepted["version"], **params
        )

    def until(
        self,
        what: str,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool] = bool,
        within: float = 90.0,
    ) -> Any:
        """Waits for another service's reaction to show here: asks until it does."""
        deadline = time.monotonic() + within
        while True:
            value = fetch()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"{self.name}: {what} did not happen within {within:.0f}s")
            time.sleep(0.3)

    def items(self, path: str, who: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.get(path, who, **params)["items"])


class Demo:
    def __init__(self, urls: Mapping[str, str], secret: str, out: Callable[[str], None]) -> None:
        self.secret = secret
        # The company's day, as the services reckon it (`make up` runs them in this zone),
        # not UTC's: from 16:00 UTC on, Shanghai is a day ahead, and an invoice issued
        # "today" by finance would fall after a payment dated UTC's today.
        zone = days.zone_named(os.environ.get(days.VARIABLE, launcher.DEMO_TIME_ZONE))
        self.say = out
        self.commands = 0
        self.tokens = {p.user_id: p.token(secret) for p in STAFF}
        self.people = {p.user_id: p for p in STAFF}
        self.projects = Service("projects", urls["projects"], self)
        self.crm = Service("crm", urls["crm"], self)
        self.finance = Service("finance", urls["finance"], self)
        self.risk = Service("risk", urls["risk"], self)
        self.performance = Service("performance", urls["performance"], self)
        self.records = Service("records", urls["records"], self)
        self.today = datetime.now(zone).date()
        self.made: dict[str, Any] = {}

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    # --- REGULATIONS §8: the organisation, by hr ------------------------------------------------

    def organisation(self) -> None:
        perf = self.performance
        last: dict[str, Any] = {}
        for p in STAFF:  # supervisors before the people they supervise
            last = perf.post(
                "/people",
                # nobody in hr records themself
                "deng.ya" if p.user_id == "tang.hui" else "tang.hui",
                {
                    "user_id": p.user_id,
                    "name": p.name,
                    "department": p.department,
                    "position": p.position,
                    "supervisor": p.supervisor,
                    "joined_on": "2024-03-01",
                },
            )
        for department, head in HEADS.items():
            perf.post("/departments", "tang.hui", {"department": department, "head": head})
        perf.listed("/people", "tang.hui", last)
        self.say(f"  organisation: {len(STAFF)} people in {len(HEADS)} departments (performance)")

    # --- §4: customers ------------------------------------------------------------------------

    def customers(self) -> None:
        crm = self.crm
        specs = [
            ("Huanan Logistics", "Logistics", "trade_show", "li.na", "Stock tracking in 3 depots"),
            ("Pearl Retail Group", "Retail", "referral", "sun.hao", "Shelf availability"),
            ("Delta Fresh Foods", "Food", "online", "liu.yang", "Cold chain monitoring"),
        ]
        ids = []
        for name, industry, channel, owner, needs in specs:
            made = crm.post(
                "/customers",
                owner,
                {
                    "name": name,
                    "industry": industry,
                    "channel": channel,
                    "needs": needs,
                    "address": "Shenzhen",
                    "preferences": "Meetings in the morning",
                    "contacts": [
                        {
                            "position": "Purchasing manager",
                            "name": f"Contact at {name}",
                            "phone": "+86 755 0000 0000",
                            "email": "purchasing@example.com",
                        }
                    ],
                },
            )
            ids.append(made["id"])
        huanan, pearl, delta = ids
        self.made["customers"] = ids
        crm.post(f"/customers/{huanan}/status", "li.na", {"status": "active"})
        proposal = crm.post(
            f"/customers/{huanan}/proposals",
            "li.na",
            {
                "title": "Warehouse sensors pilot",
                "description": "Sensors in one depot for a quarter",
                "value": money("1250000.00"),
            },
        )
        crm.post(
            f"/customers/{huanan}/proposals/{proposal['proposal_id']}/outcome",
            "li.na",
            {"outcome": "accepted", "notes": "Pilot agreed"},
        )
        visit = crm.post(
            "/follow-ups",
            "li.na",
            {"customer_id": huanan, "due_on": self.today.isoformat(), "purpose": "Pilot review"},
        )
        crm.post(
            f"/follow-ups/{visit['id']}/outcome",
            "li.na",
            {"visited_on": self.today.isoformat(), "satisfaction": 5, "notes": "Very pleased"},
        )
        # Due yesterday and not made: reported overdue by crm's scheduler.
        crm.post(
            "/follow-ups",
            "sun.hao",
            {
                "customer_id": pearl,
                "due_on": (self.today - timedelta(days=1)).isoformat(),
                "purpose": "Quarterly visit",
            },
        )
        event = crm.post(
            "/customer-events",
            "zhao.min",
            {
                "kind": "appreciation",
                "title": "Customer appreciation dinner",
                "held_on": self.today.isoformat(),
                "venue": "Harbour Hotel",
            },
        )
        for customer in (huanan, delta):
            crm.post(
                f"/customer-events/{event['id']}/invitations", "zhao.min", {"customer_id": customer}
            )
        crm.post(
            f"/customer-events/{event['id']}/attendance",
            "zhao.min",
            {"customer_id": huanan, "attended": True},
        )
        self.say("  customers: 3 with contacts, a proposal, visits, an appreciation dinner (crm)")

    # --- §2: leads and initiation ---------------------------------------------------------------

    def initiation(self) -> None:
        pj = self.projects
        pj.post(
            "/market-insights",
            "wu.fang",
            {
                "kind": "industry_trend",
                "title": "Warehouse automation grows 12% a year",
                "content": "Logistics firms in the delta invest in tracking",
            },
        )
        pj.post(
            "/market-insights",
            "wu.fang",
            {
                "kind": "competitor",
                "title": "A rival sells RFID gates",
                "content": "Cheaper gates, no analytics",
            },
        )
        won = pj.post(
            "/leads",
            "li.na",
            {
                "customer": "Huanan Logistics",
                "need": "Stock tracking in three depots",
                "source": "trade show",
                "estimated_value": money("1250000.00"),
            },
        )
        pj.post(f"/leads/{won['id']}/qualify", "zhao.min", {"note": "Budget confirmed"})
        lost = pj.post(
            "/leads",
            "sun.hao",
            {
                "customer": "Corner Shops Ltd",
                "need": "A loyalty app",
                "source": "cold call",
                "estimated_value": money("40000.00"),
            },
        )
        pj.post(f"/leads/{lost['id']}/discard", "zhao.min", {"reasons": "Not our business"})
        pj.post(
            "/leads",
            "wu.fang",
            {
                "customer": "Delta Fresh Foods",
                "need": "Cold chain monitoring",
                "source": "seminar",
                "estimated_value": money("600000.00"),
            },
        )

        def application(who: str, title: str, lead: str | None, revenue: str) -> str:
            made = pj.post(
                "/applications",
                who,
                {
                    "title": title,
                    "background": "Customers lose stock they cannot see",
                    "target_customers": "Logistics and retail in the delta",
                    "expected_revenue": money(revenue),
                    "preliminary_plan": "Pilot, then roll out",
                    "lead_id": lead,
                },
            )
            pj.post(f"/applications/{made['id']}/submit", who)
            return str(made["id"])

        review = {
            "recommend": True,
            "feasibility": "Feasible with our sensor platform",
            "market_outlook": "Growing demand",
            "resource_needs": "Two engineers for six months",
        }
        approved_app = application(
            "liu.yang", "Smart warehouse for Huanan", won["id"], "1250000.00"
        )
        pj.post(f"/applications/{approved_app}/review", "zhao.min", review)
        approval = pj.post(
            f"/applications/{approved_app}/approve",
            "wang.jun",
            {
                "strategic_fit": "Opens logistics to us",
                "market_outlook": "Automation grows 12% a year",
                "economic_benefit": "1.25 M CNY at a 20% margin",
                "comments": "Go ahead",
            },
        )
        self.made["project"] = approval["project_id"]
        rejected = application("sun.hao", "Loyalty app for corner shops", None, "40000.00")
        pj.post(
            f"/applications/{rejected}/review",
            "zhao.min",
            {**review, "recommend": False, "feasibility": "Outside our products"},
        )
        pj.post(f"/applications/{rejected}/reject", "wang.jun", {"reasons": "Not our market"})
        # Submitted by the market department: waits for its head's review (zhou.xin's inbox).
        application("wu.fang", "Cold chain pilot for Delta Fresh", None, "600000.00")
        self.say(
            "  initiation: 2 market insights, 3 leads (qualified and converted, discarded, new),"
            " 3 applications (approved, rejected, waiting for review) (projects)"
        )

    # --- §3, §6: planning and execution ---------------------------------------------------------

    def planning(self) -> None:
        pj, project = self.projects, self.made["project"]
        pj.command(
            "PUT",
            f"/projects/{project}/team-lead",
            "wang.jun",
            {"user_id": "guo.qiang", "responsibilities": "Runs the pilot and the rollout"},
        )
        pj.post(
            f"/projects/{project}/members",
            "guo.qiang",
            {"user_id": "he.jing", "responsibilities": "Sensors and dashboards"},
        )
        day = self.today
        plan = pj.post(
            f"/projects/{project}/plan",
            "liu.yang",
            {
                "goals": "Stock tracking live in three Huanan depots",
                "marketing_strategy": "A reference case for logistics trade shows",
                "product_plan": "Warehouse sensors as a service",
                "milestones": [
                    # Due yesterday and not done: projects reports it overdue at once.
                    {
                        "name": "Kick-off workshop",
                        "due_date": (day - timedelta(days=1)).isoformat(),
                        "owner": "he.jing",
                    },
                    {
                        "name": "Pilot live",
                        "due_date": (day + timedelta(days=45)).isoformat(),
                        "owner": "he.jing",
                    },
                    {
                        "name": "Rollout",
                        "due_date": (day + timedelta(days=120)).isoformat(),
                        "owner": "guo.qiang",
                    },
                ],
                "budget_lines": [
                    {
                        "category": "marketing",
                        "amount": money("120000.00"),
                        "description": "Trade shows",
                    },
                    {
                        "category": "personnel",
                        "amount": money("300000.00"),
                        "description": "Two engineers",
                    },
                    {
                        "category": "procurement",
                        "amount": money("80000.00"),
                        "description": "Sensors",
                    },
                ],
                "review_departments": ["sales", "finance"],
            },
        )
        pj.post(f"/plans/{plan['id']}/submit", "liu.yang")
        pj.post(f"/plans/{plan['id']}/review", "zhao.min", {"verdict": "passed"})
        last = pj.post(
            f"/plans/{plan['id']}/review",
            "ma.lin",
            {"verdict": "passed", "comments": "Budget within the margin"},
        )
        pj.seen(f"/plans/{plan['id']}", "song.yi", last)
        milestones = pj.until(
            "the approved plan's milestones",
            lambda: pj.items("/milestones", "guo.qiang", project_id=project),
            lambda ms: len(ms) == 3,
        )
        pilot = next(m for m in milestones if m["name"] == "Pilot live")
        pj.post(
            f"/projects/{project}/milestones/{pilot['id']}/progress",
            "guo.qiang",
            {"percent": 40, "note": "Sensors installed in the first depot"},
        )
        pj.command(
            "PUT",
            f"/projects/{project}/health",
            "guo.qiang",
            {"status": "at_risk", "note": "The kick-off slipped a week"},
        )
        deviation = pj.post(
            f"/projects/{project}/deviations",
            "guo.qiang",
            {
                "deviation": "Kick-off workshop a week late",
                "cause": "The customer's depot manager was away",
                "adjusted_strategy": "Kick-off with the deputy manager; pilot date kept",
            },
        )
        pj.post(
            f"/deviations/{deviation['id']}/acknowledge",
            "wang.jun",
            {"decision": "Accepted; keep the pilot date"},
        )
        meeting = pj.post(
            f"/projects/{project}/meetings",
            "guo.qiang",
            {
                "kind": "weekly",
                "title": "Pilot weekly",
                "meeting_date": day.isoformat(),
                "attendees": ["guo.qiang", "he.jing", "li.na"],
                "agenda": "Depot one status",
            },
        )
        pj.post(
            f"/meetings/{meeting['id']}/minutes",
            "guo.qiang",
            {
                "minutes": "Depot one sensors are in; two gateways missing",
                "attendees": ["guo.qiang", "he.jing", "li.na"],
                "action_items": [
                    {
                        "description": "Order two gateways",
                        "owner": "he.jing",
                        "due_date": (day + timedelta(days=7)).isoformat(),
                    }
                ],
            },
        )
        pj.post(
            f"/projects/{project}/contacts",
            "he.jing",
            {
                "party_kind": "customer",
                "party": "Huanan Logistics",
                "contact_date": day.isoformat(),
                "summary": "Confirmed the pilot depot",
            },
        )
        self.say(
            "  planning: project with team lead and member, plan reviewed by sales and finance"
            " and approved, progress, a deviation acknowledged, a weekly meeting (projects)"
        )

    # --- §7: budget, spending, overspend ----------------------------------------------------

    def budget(self) -> None:
        fin, project = self.finance, self.made["project"]
        [budget] = fin.until(
            "finance opening the approved plan's budget",
            lambda: fin.items("/budgets", "ma.lin", project_id=project),
        )
        approved = fin.post(
            f"/budgets/{budget['id']}/approve", "ma.lin", {"contingency_percent": "10"}
        )
        view = fin.seen(f"/budgets/{budget['id']}", "ma.lin", approved)
        marketing = next(line for line in view["lines"] if line["category"] == "marketing")
        spent = self.today.isoformat()
        first = fin.post(
            f"/budgets/{budget['id']}/expenses",
            "guo.qiang",
            {
                "line_id": marketing["line_id"],
                "amount": money("80000.00"),
                "spent_on": spent,
                "vendor": "Shenzhen Expo Centre",
                "description": "Logistics trade show booth",
            },
        )
        fin.post(
            f"/budgets/{budget['id']}/expenses/{first['expense_id']}/pay",
            "xu.mei",
            {"paid_on": spent},
        )
        held = fin.post(
            f"/budgets/{budget['id']}/expenses",
            "guo.qiang",
            {
                "line_id": marketing["line_id"],
                "amount": money("60000.00"),
                "spent_on": spent,
                "vendor": "Print House",
                "description": "Pilot brochures and a customer film",
                "reason": "The customer asked for a film for its board",
                "necessity": "Without it the rollout decision slips a quarter",
            },
        )
        fin.post(f"/budgets/{budget['id']}/expenses/{held['expense_id']}/approve", "wang.jun")
        fin.post(
            f"/budgets/{budget['id']}/expenses/{held['expense_id']}/pay",
            "xu.mei",
            {"paid_on": spent},
        )
        # Past the line's budget and contingency again: waits in management's inbox.
        fin.post(
            f"/budgets/{budget['id']}/expenses",
            "guo.qiang",
            {
                "line_id": marketing["line_id"],
                "amount": money("15000.00"),
                "spent_on": spent,
                "vendor": "Shenzhen Expo Centre",
                "description": "A second booth at the autumn fair",
                "reason": "The organiser offered a corner booth",
                "necessity": "Two customers asked to meet us there",
            },
        )
        year, month = last_month(self.today)
        period = fin.post("/periods", "ma.lin", {"year": year, "month": month})
        fin.seen(f"/periods/{period['id']}/report", "ma.lin", period)
        fin.post(f"/periods/{period['id']}/finalize", "ma.lin")
        self.say(
            "  finance: budget approved with 10% contingency, a trade show paid, an overspend"
            " held and approved by management, then paid, another waiting for management;"
            f" {year}-{month:02d} closed (finance)"
        )

    # --- §4: contracts; §7.2 receivables -----------------------------------------------------

    def contracts(self) -> None:
        crm, fin = self.crm, self.finance
        huanan, pearl, _ = self.made["customers"]
        day = self.today.isoformat()
        signed = []
        for customer, number, title, value, person in [
            (huanan, "HT-2026-001", "Smart warehouse pilot", "1250000.00", "li.na"),
            (pearl, "HT-2026-002", "Shelf sensors for ten stores", "300000.00", "sun.hao"),
        ]:
            contract = crm.post(
                "/contracts",
                person,
                {
                    "customer_id": customer,
                    "number": number,
                    "title": title,
                    "value": money(value),
                    "salesperson": person,
                    "project_id": self.made["project"] if customer == huanan else None,
                },
            )
            crm.post(f"/contracts/{contract['id']}/sign", "zhao.min", {"signed_on": day})
            signed.append(contract["id"])
        crm.post(
            "/contracts",
            "liu.yang",
            {
                "customer_id": self.made["customers"][2],
                "number": "HT-2026-003",
                "title": "Cold chain study",
                "value": money("90000.00"),
                "salesperson": "liu.yang",
            },
        )

        def receivable_of(contract: str) -> str:
            [receivable] = fin.until(
                "finance opening the signed contract's receivable",
                lambda: fin.items("/receivables", "ma.lin", contract_id=contract),
            )
            return str(receivable["id"])

        big, small = (receivable_of(c) for c in signed)
        paid = fin.post(
            f"/receivables/{big}/invoices",
            "xu.mei",
            {
                "number": "INV-2026-0001",
                "amount": money("500000.00"),
                "due_on": (self.today + timedelta(days=30)).isoformat(),
            },
        )
        fin.post(
            f"/receivables/{big}/invoices/{paid['invoice_id']}/payments",
            "xu.mei",
            {"amount": money("500000.00"), "paid_on": day},
        )
        # An invoice cannot be issued due in the past: these are due today, and finance's
        # scheduler reports them overdue (ReceivableOverdue) once the day is over.
        for receivable, number, amount in [
            (big, "INV-2026-0002", "300000.00"),
            (small, "INV-2026-0003", "150000.00"),
        ]:
            fin.post(
                f"/receivables/{receivable}/invoices",
                "xu.mei",
                {"number": number, "amount": money(amount), "due_on": day},
            )
        self.say(
            "  contracts: 2 signed, 1 draft (crm); 3 invoices, 1 paid, 2 due today and overdue"
            " from tomorrow (finance)"
        )

    # --- §4.3: complaints ---------------------------------------------------------------

    def complaints(self) -> None:
        crm = self.crm
        _, pearl, _ = self.made["customers"]
        first = crm.post(
            "/complaints",
            "sun.hao",
            {
                "customer_id": pearl,
                "channel": "phone",
                "severity": "high",
                "subject": "Sensors offline in two stores",
                "description": "No readings since Monday",
            },
        )
        crm.post(f"/complaints/{first['id']}/assign", "zhao.min", {"owner": "sun.hao"})
        crm.post(
            f"/complaints/{first['id']}/respond",
            "sun.hao",
            {"proposal": "Replace the gateways within two days"},
        )
        crm.post(
            f"/complaints/{first['id']}/resolve",
            "sun.hao",
            {"resolution": "Gateways replaced; readings back"},
        )
        crm.post(
            f"/complaints/{first['id']}/corrective-actions",
            "sun.hao",
            {
                "description": "Spare gateways in every region",
                "owner": "he.jing",
                "due_on": (self.today + timedelta(days=14)).isoformat(),
            },
        )
        crm.post(
            f"/complaints/{first['id']}/close",
            "sun.hao",
            {
                "cause": "product_quality",
                "root_cause": "A gateway batch with bad power supplies",
                "corrective_action": "Spare gateways in every region",
                "satisfaction": 4,
                "confirmed_by": "sun.hao",
                "confirmation_channel": "phone",
                "confirmed_on": self.today.isoformat(),
            },
        )
        second = crm.post(
            "/complaints",
            "sun.hao",
            {
                "customer_id": pearl,
                "channel": "email",
                "severity": "medium",
                "subject": "Invoice sent twice",
                "description": "The same invoice arrived twice",
            },
        )
        crm.post(f"/complaints/{second['id']}/assign", "zhao.min", {"owner": "sun.hao"})
        self.say("  complaints: 2 from Pearl Retail, one closed with its root cause (crm)")

    # --- §5: risk -------------------------------------------------------------------------

    def risks(self) -> None:
        rk = self.risk
        pearl = self.made["customers"][1]
        project = self.made["project"]
        credit = rk.post(
            "/risks",
            "lin.tao",
            {
                "category": "credit",
                "scope": "customer",
                "customer_id": pearl,
                "department": "sales",
                "title": "Pearl Retail pays late",
                "description": "Two invoices paid 40 days late last year",
                "cause": "Thin cash flow after expansion",
            },
        )
        rk.post(
            f"/risks/{credit['id']}/assessments",
            "lin.tao",
            {
                "assessment": "inherent",
                "likelihood": 4,
                "impact": 4,
                "scenarios": [
                    {
                        "scenario": "An invoice is never paid",
                        "probability": "20",
                        "impact": money("150000.00"),
                    }
                ],
            },
        )
        rk.post(
            f"/risks/{credit['id']}/response",
            "lin.tao",
            {"strategy": "accept", "reason": "The margin covers it"},
        )
        rk.post(f"/risks/{credit['id']}/sign-off", "wang.jun")
        delivery = rk.post(
            "/risks",
            "lin.tao",
            {
                "category": "operational",
                "scope": "project",
                "project_id": project,
                "department": "delivery",
                "title": "Gateways fail in the field",
                "description": "A batch failed at Pearl Retail",
                "cause": "Supplier quality",
            },
        )
        rk.post(
            f"/risks/{delivery['id']}/assessments",
            "lin.tao",
            {"assessment": "inherent", "likelihood": 3, "impact": 4},
        )
        rk.post(
            f"/risks/{delivery['id']}/response",
            "lin.tao",
            {"strategy": "reduce", "reason": "Spares and a second supplier"},
        )
        measure = rk.post(
            f"/risks/{delivery['id']}/measures",
            "lin.tao",
            {
                "description": "Qualify a second gateway supplier",
                "department": "delivery",
                "person": "he.jing",
                "due_on": (self.today + timedelta(days=30)).isoformat(),
            },
        )
        rk.post(
            f"/risks/{delivery['id']}/measures/{measure['measure_id']}/reviews",
            "lin.tao",
            {"effective": True, "note": "Samples ordered"},
        )
        market = rk.post(
            "/risks",
            "zhao.min",
            {
                "category": "market",
                "scope": "company",
                "department": "sales",
                "title": "A rival undercuts on RFID gates",
                "description": "Cheaper gates win small depots",
                "cause": "New entrant",
            },
        )
        round_ = rk.post(
            "/identification-rounds",
            "lin.tao",
            {
                "period_start": self.today.replace(day=1).isoformat(),
                "period_end": (self.today + timedelta(days=60)).isoformat(),
                "departments": ["sales", "delivery"],
                "due_on": (self.today + timedelta(days=14)).isoformat(),
            },
        )
        rk.post(
            f"/identification-rounds/{round_['id']}/submissions",
            "zhao.min",
            {"department": "sales", "risk_ids": [market["id"]]},
        )
        rk.post(
            "/review-meetings",
            "lin.tao",
            {
                "held_on": self.today.isoformat(),
                "title": "Monthly risk review",
                "attendees": ["lin.tao", "wang.jun", "zhao.min", "hu.bo"],
                "risk_ids": [credit["id"], delivery["id"]],
                "conclusions": "Credit risk accepted; gateway supplier to be doubled",
                "actions": [
                    {
                        "action": "Report on the second supplier",
                        "owner": "hu.bo",
                        "due_on": (self.today + timedelta(days=30)).isoformat(),
                    }
                ],
            },
        )
        # Two complaints in 90 days cross the warning threshold of Pearl Retail's complaints
        # KRI; the overdue milestone and the overrun line fire the project's.
        alerts = rk.until(
            "risk's KRI alert on Pearl Retail's complaints",
            lambda: rk.items("/alerts", "lin.tao", scope_id=pearl),
        )
        rk.post(
            f"/alerts/{alerts[0]['id']}/acknowledge",
            "lin.tao",
            {"note": "Discussed with sales; account plan updated"},
        )
        self.say(
            "  risk: 3 risks (one accepted and signed off, one reduced with a measure reviewed),"
            " an identification round, a review meeting, a KRI alert acknowledged (risk)"
        )

    # --- §8: performance ---------------------------------------------------------------------

    def performance_cycle(self) -> None:
        perf = self.performance
        period = last_quarter(self.today)
        sales = perf.post(
            "/indicators",
            "tang.hui",
            {
                "name": "Contract value signed",
                "kind": "sales",
                "measure": "contract_value",
                "unit": CNY,
            },
        )
        quarter = f"{self.today.year}-Q{(self.today.month - 1) // 3 + 1}"
        for person, value in [("li.na", "1000000"), ("sun.hao", "400000"), ("liu.yang", "500000")]:
            perf.command(
                "PUT",
                "/targets",
                "zhao.min",
                {
                    "indicator_id": sales["id"],
                    "subject_kind": "person",
                    "subject": person,
                    "period": quarter,
                    "value": value,
                    "basis": "The department's quarterly goal by accounts held",
                },
            )
        perf.post(
            "/market-shares",
            "wu.fang",
            {
                "subject_kind": "department",
                "subject": "sales",
                "period": quarter,
                "percent": "12.5",
                "source": "Delta logistics IT survey",
            },
        )
        first_day = {"Q1": "01-01", "Q2": "04-01", "Q3": "07-01", "Q4": "10-01"}[period[-2:]]
        cycle = perf.post(
            "/cycles",
            "tang.hui",
            {
                "name": f"Sales evaluation {period}",
                "kind": "quarterly",
                "period": period,
                "ratings_due": f"{period[:4]}-{first_day}",
                "finalize_due": self.today.isoformat(),
                "feedback_due": (self.today + timedelta(days=7)).isoformat(),
                "weights": [{"indicator_id": sales["id"], "weight": "40"}],
                "ratings_weight": "60",
                "standard": "60",
                "excellence": "90",
                "departments": ["sales"],
                "people": ["li.na", "liu.yang", "sun.hao"],
            },
        )
        opened = perf.until(
            "the cycle's evaluations in their view",
            lambda: perf.items("/evaluations", "tang.hui", cycle_id=cycle["id"]),
            lambda items: len(items) == 4,  # the department: its head and three people
        )
        evaluations = {e["person"]: e["id"] for e in opened}
        ratings = {
            "zhao.min": [("wang.jun", 4), ("hu.bo", 4)],
            "li.na": [("zhao.min", 5), ("liu.yang", 5)],
            "liu.yang": [("zhao.min", 4), ("li.na", 4)],
            "sun.hao": [("zhao.min", 2), ("li.na", 3)],
        }
        for person, given in ratings.items():
            for rater, score in given:
                perf.post(
                    f"/evaluations/{evaluations[person]}/ratings",
                    rater,
                    {
                        "attitude": score,
                        "collaboration": score,
                        "innovation": score,
                        "comments": "As seen this quarter",
                    },
                )
        final = perf.post(f"/cycles/{cycle['id']}/finalize", "tang.hui")
        perf.seen(f"/cycles/{cycle['id']}", "tang.hui", final)
        for person in ratings:
            fb = perf.post(
                f"/evaluations/{evaluations[person]}/feedback",
                self.people[person].supervisor or "wang.jun",
                {
                    "strengths": "Customers trust you",
                    "gaps": "Forecasts",
                    "suggestions": "Weekly pipeline review",
                },
            )
            perf.seen(f"/evaluations/{evaluations[person]}", "tang.hui", fb)
        perf.post(
            f"/evaluations/{evaluations['li.na']}/acknowledge",
            "li.na",
            {"comment": "Thank you"},
        )
        perf.post(
            "/incentives",
            "tang.hui",
            {
                "person": "li.na",
                "cycle_id": cycle["id"],
                "kind": "bonus",
                "reason": "Excellent quarter: the Huanan pilot",
                "bonus": money("20000.00"),
            },
        )
        perf.post(
            "/improvement-plans",
            "tang.hui",
            {
                "person": "sun.hao",
                "cycle_id": cycle["id"],
                "measures": ["coaching"],
                "description": "Weekly coaching by the head of sales",
                "until": (self.today + timedelta(days=90)).isoformat(),
                "reason": "Below standard this quarter",
            },
        )
        perf.until(
            "performance rewarding the converted lead's finder",
            lambda: perf.items("/lead-rewards", "tang.hui", finder="li.na"),
        )
        self.say(
            f"  performance: targets, a market share, the {period} evaluation finalized with"
            " ratings, feedback, a bonus and an improvement plan; li.na's lead reward (performance)"
        )

    # --- §9: records ------------------------------------------------------------------------

    def archive(self) -> None:
        rec = self.records
        subject = str(uuid.uuid5(NAMESPACE, "spring-campaign"))
        file = rec.post(
            "/files", "wu.fang", {"subject_id": subject, "title": "Logistics campaign 2026"}
        )
        brochure = rec.post(
            "/records",
            "wu.fang",
            {"file_id": file["id"], "title": "Trade show brochure", "medium": "physical"},
        )
        rec.post(
            f"/records/{brochure['id']}/location",
            "wu.fang",
            {"room": "B1", "shelf": "3", "box": "17"},
        )
        study = rec.post(
            "/records",
            "wu.fang",
            {"file_id": file["id"], "title": "Market study", "medium": "electronic"},
        )
        rec.command(
            "PUT",
            f"/records/{study['id']}/content",
            "wu.fang",
            None,
            params={"filename": "market-study.txt"},
            content=b"Warehouse automation in the delta: 12% a year.\n",
            headers={"Content-Type": "text/plain"},
        )
        for record in (brochure["id"], study["id"]):
            rec.post(f"/records/{record}/number", "luo.yu", {"series": "material"})
            rec.post(f"/records/{record}/bind", "luo.yu")
        returned = rec.post(
            f"/records/{brochure['id']}/loans",
            "wu.fang",
            {"purpose": "Next trade show", "due_on": (self.today + timedelta(days=7)).isoformat()},
        )
        loan = returned["loan_id"]
        rec.post(f"/records/{brochure['id']}/loans/{loan}/approve", "zhou.xin")
        rec.post(f"/records/{brochure['id']}/loans/{loan}/lend", "luo.yu")
        rec.post(
            f"/records/{brochure['id']}/loans/{loan}/return",
            "luo.yu",
            {"intact": True, "condition": "As lent"},
        )
        out = rec.post(
            f"/records/{study['id']}/loans",
            "liu.yang",
            {
                "purpose": "Proposal for Delta Fresh",
                "due_on": (self.today + timedelta(days=14)).isoformat(),
            },
        )
        rec.post(f"/records/{study['id']}/loans/{out['loan_id']}/approve", "zhao.min")
        rec.post(f"/records/{study['id']}/loans/{out['loan_id']}/lend", "luo.yu")
        project = self.made["project"]
        rec.until(
            "records filing the project's documents",
            lambda: rec.items("/records", "luo.yu", subject_id=project),
        )
        self.say(
            "  records: a marketing file, a brochure and a study numbered and bound, one lent"
            " and returned, one out on loan; project, customer and contract files (records)"
        )

    def backfile(self) -> None:
        """The market department hands the archive what is left of a trade fair years ago.
        Its active life ended when the fair did, so its retention is over already: the
        periodic check finds it, and the archivist has part of it destroyed."""
        rec = self.records
        year = self.today.year - 5
        fair_ended = date(year, 10, 22)
        subject = str(uuid.uuid5(NAMESPACE, f"trade-fair-{year}"))
        file = rec.post(
            "/files", "wu.fang", {"subject_id": subject, "title": f"Logistics trade fair {year}"}
        )
        found: dict[str, str] = {}
        for title, box in (
            ("Stand handouts", "31"),
            ("Visitor sign-up sheets", "31"),
            ("Stand photographs", "32"),
        ):
            record = rec.post(
                "/records",
                "wu.fang",
                {"file_id": file["id"], "title": title, "medium": "physical"},
            )
            rec.post(
                f"/records/{record['id']}/location",
                "wu.fang",
                {"room": "B2", "shelf": "1", "box": box},
            )
            rec.post(f"/records/{record['id']}/number", "luo.yu", {"series": "material"})
            rec.post(f"/records/{record['id']}/bind", "luo.yu")
            found[title] = record["id"]
        rec.post(
            f"/files/{file['id']}/close",
            "luo.yu",
            {"reason": f"The {year} fair is long over", "ended_on": fair_ended.isoformat()},
        )
        rec.until(
            "the periodic check finding the trade fair file's retention over",
            lambda: rec.items("/inbox", "luo.yu", kind="retention_over", record_id=file["id"]),
            within=60,
        )
        # The photographs wait: marketing may want them for its next fair.
        shredded = [found["Stand handouts"], found["Visitor sign-up sheets"]]
        listed = rec.post(
            "/destruction-lists",
            "luo.yu",
            {"record_ids": shredded, "reason": f"Handouts and sign-up sheets of the {year} fair"},
        )
        rec.post(f"/destruction-lists/{listed['id']}/approve", "wang.jun")
        rec.post(
            f"/destruction-lists/{listed['id']}/carry-out",
            "luo.yu",
            {"witness": "gao.ping", "method": "shredded"},
        )
        self.say(
            f"  records: a {year} trade fair's material closed as of the day the fair ended;"
            " its retention over, two records destroyed before a witness with management's"
            " approval, the photographs still due for destruction (records)"
        )

    def run(self) -> None:
        started = time.monotonic()
        self.organisation()
        self.customers()
        self.initiation()
        self.planning()
        self.budget()
        self.contracts()
        self.complaints()
        self.risks()
        self.performance_cycle()
        self.archive()
        self.backfile()
        self.say(f"done: {self.commands} commands in {time.monotonic() - started:.0f}s")


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
        demo.run()
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


if __name__ == "__main__":
    sys.exit(main())
