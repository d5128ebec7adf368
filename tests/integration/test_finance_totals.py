"""A property of the real read model (hypothesis): for any sequence of expenses, approvals,
refusals, payments and revisions sent over HTTP, the totals finance's views keep per line
(committed, actual and pending) equal the sums recomputed from the budget's own events (its
history)."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from bizdev_finance.domain import Budget
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ServiceProcess, auth, unique
from .planning_flows import Crew, executing_project

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("90000.00"), places=2)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("spend"), st.integers(0, 1), amounts),
        st.tuples(st.just("approve"), st.integers(0, 20), st.none()),
        st.tuples(st.just("refuse"), st.integers(0, 20), st.none()),
        st.tuples(st.just("pay"), st.integers(0, 20), st.none()),
        st.tuples(st.just("revise"), st.sampled_from(["0", "5", "12.5"]), amounts),
    ),
    min_size=1,
    max_size=8,
)


class Budgeted:
    """One approved budget the examples share: the property holds after every step, so it
    holds however many examples came before."""

    def __init__(self, projects: ServiceProcess, finance: ServiceProcess) -> None:
        crew = Crew()

        async def project() -> str:
            async with httpx.AsyncClient(base_url=projects.url, timeout=30) as http:
                project_id, _ = await executing_project(http, crew)
                return project_id

        self.id = Budget.create_id(uuid.UUID(asyncio.run(project())))
        self.http = httpx.Client(base_url=finance.url, timeout=30)
        self.fin = auth(unique("fin"), "finance", "employee", "finance")
        self.boss = auth(unique("boss"), "management", "employee", "management")
        # The department's head books: finance knows the department with the budget, where
        # the team arrives by events of its own (a member could be refused a moment first).
        self.requester = crew.head
        budget = self.read(1)
        self.lines = [(x["line_id"], x["category"]) for x in budget["lines"]]
        self.command(f"/budgets/{self.id}/approve", {"contingency_percent": "0"}, self.fin)
        self.held: list[str] = []
        self.unpaid: list[str] = []

    def read(self, version: int) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while True:
            r = self.http.get(f"/budgets/{self.id}", headers=self.fin)
            if r.status_code == 200 and r.json()["version"] >= version:
                body: dict[str, Any] = r.json()
                return body
            assert time.monotonic() < deadline, r.text
            time.sleep(0.1)

    def command(self, path: str, body: dict[str, Any] | None, who: dict[str, str]) -> int:
        r = self.http.post(path, json=body, headers=who)
        assert r.status_code in (200, 201), r.text
        self.version: int = r.json()["version"]
        return self.version


@pytest.fixture(scope="module")
def budgeted(projects: ServiceProcess, finance: ServiceProcess) -> Budgeted:
    return Budgeted(projects, finance)


def recomputed(history: list[dict[str, Any]]) -> dict[str, list[Decimal]]:
    """[committed, actual, pending] per line from the events alone: committed until paid
    (posted), then actual; pending while held."""
    totals: dict[str, list[Decimal]] = {}
    for e in history:
        if e["event"] not in (
            "ExpenseCommitted",
            "ExpensePosted",
            "ExpenseHeld",
            "OverspendApproved",
            "OverspendRefused",
        ):
            continue
        line = totals.setdefault(str(e["data"]["line_id"]), [Decimal(0)] * 3)
        amount = Decimal(e["data"]["amount"]["amount"])
        match e["event"]:
            case "ExpenseCommitted":
                line[0] += amount
            case "ExpensePosted":
                line[0] -= amount
                line[1] += amount
            case "ExpenseHeld":
                line[2] += amount
            case _:
                line[2] -= amount
    return totals


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_the_views_totals_equal_the_sums_of_the_events(
    budgeted: Budgeted, plan: list[tuple[str, Any, Any]]
) -> None:
    b = budgeted
    for kind, x, amount in plan:
        if kind == "spend":
            line_id, _ = b.lines[x]
            r = b.http.post(
                f"/budgets/{b.id}/expenses",
                json={
                    "line_id": line_id,
                    "amount": {"amount": str(amount), "currency": "CNY"},
                    "spent_on": "2026-03-02",
                    "vendor": "V",
                    "description": "D",
                    "reason": "Prices",
                    "necessity": "Needed",
                },
                headers=b.requester,
            )
            assert r.status_code == 201, r.text
            b.version = r.json()["version"]
            expense = r.json()["expense_id"]
            held = b.http.get(
                "/expenses",
                params={
                    "budget_id": str(b.id),
                    "state": "pending_approval",
                    "limit": 200,
                    "wait_for": str(b.id),
                    "min_version": b.version,
                },
                headers=b.fin,
            ).json()["items"]
            if any(e["id"] == expense for e in held):
                b.held.append(expense)
            else:
                b.unpaid.append(expense)
        elif kind in ("approve", "refuse") and b.held:
            expense = b.held.pop(x % len(b.held))
            path = f"/budgets/{b.id}/expenses/{expense}/{kind}"
            b.command(path, {"reason": "No"} if kind == "refuse" else None, b.boss)
            if kind == "approve":
                b.unpaid.append(expense)
        elif kind == "pay" and b.unpaid:
            expense = b.unpaid.pop(x % len(b.unpaid))
            b.command(f"/budgets/{b.id}/expenses/{expense}/pay", {"paid_on": "2026-03-03"}, b.fin)
        elif kind == "revise":
            b.command(
                f"/budgets/{b.id}/revise",
                {
                    "reason": "Prices",
                    "lines": [
                        {
                            "line_id": line_id,
                            "category": category,
                            "amount": {"amount": str(amount * (n + 1)), "currency": "CNY"},
                        }
                        for n, (line_id, category) in enumerate(b.lines)
                    ],
                    "contingency_percent": x,
                },
                b.fin,
            )
    view = b.read(b.version)
    history = b.http.get(f"/budgets/{b.id}/history", headers=b.fin).json()
    expected = recomputed(history)
    for line in view["lines"]:
        committed, actual, pending = expected.get(line["line_id"], [Decimal(0)] * 3)
        assert Decimal(line["committed"]["amount"]) == committed
        assert Decimal(line["actual"]["amount"]) == actual
        assert Decimal(line["pending"]["amount"]) == pending
