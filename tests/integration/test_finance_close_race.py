"""A month closing while an expense dated inside it is booked, on the real PostgreSQL: the
close and the posting write the same budget, so the expense is either in the budget before
the close stamped it (and counted by the close), or refused — never booked after it."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
from bizdev_finance.domain import Budget

from .conftest import auth, eventually, unique
from .flows import ok
from .planning_flows import Crew, executing_project


async def test_an_expense_racing_the_close_of_its_month_never_lands_after_it(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient
) -> None:
    crew = Crew()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    project_id, _ = await executing_project(http, crew)
    budget_id = Budget.create_id(uuid.UUID(project_id))
    path = f"/budgets/{budget_id}"
    draft = await eventually(
        lambda: finance_http.get(path, headers=fin), lambda r: r.status_code == 200, within=60
    )
    await ok(
        await finance_http.post(f"{path}/approve", json={"contingency_percent": "0"}, headers=fin)
    )
    line_id = draft.json()["lines"][0]["line_id"]

    # Months of 1900, this test's own: the other tests close months after it.
    outcomes = []
    for month in random.sample(range(1, 13), 4):
        close, spend = await asyncio.gather(
            finance_http.post("/periods", json={"year": 1900, "month": month}, headers=fin),
            finance_http.post(
                f"{path}/expenses",
                json={
                    "line_id": line_id,
                    "amount": {"amount": "1.00", "currency": "CNY"},
                    "spent_on": f"1900-{month:02d}-15",
                    "vendor": "V",
                    "description": "D",
                },
                # Known with the budget, where the team arrives by events of its own.
                headers=crew.head,
            ),
        )
        assert close.status_code == 201, close.text
        assert spend.status_code in (201, 409, 422), spend.text
        outcomes.append((f"1900-{month:02d}", spend))

    history = (await finance_http.get(f"{path}/history", headers=fin)).json()
    position = {
        (e["event"], e["data"].get("month") or e["data"].get("expense_id")): n
        for n, e in enumerate(history)
    }
    for month, spend in outcomes:
        closed_at = position[("MonthClosed", month)]
        if spend.status_code == 201:
            assert position[("ExpenseCommitted", spend.json()["expense_id"])] < closed_at
        else:
            booked = [
                e for e in history[closed_at:] if e["data"].get("spent_on", "").startswith(month)
            ]
            assert booked == []
