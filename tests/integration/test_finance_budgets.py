"""Finance's budgets and spending on the real Kafka and PostgreSQL (REGULATIONS 7.1, 7.2):
projects' approved plan becomes a draft budget with the same lines, its revision 2 the next
version; an expense beyond budget plus contingency is held in management's inbox, approved
(committed), paid (posted), and the line's overrun published."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

import httpx
from bizdev_finance.domain import Budget
from bizdev_finance.published import CONTRACT as FINANCE

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .flows import booked, ok
from .planning_flows import Crew, executing_project, plan_body, refused, review

FINANCE_TOPIC = FINANCE.topic


async def budget_at(
    finance_http: httpx.AsyncClient, budget_id: uuid.UUID, who: dict[str, str], done: Any
) -> dict[str, Any]:
    async def fetch() -> dict[str, Any] | None:
        r = await finance_http.get(f"/budgets/{budget_id}", headers=who)
        return r.json() if r.status_code == 200 else None

    found = await eventually(fetch, lambda b: b is not None and done(b), within=60)
    assert found is not None
    return found


async def replan(
    http: httpx.AsyncClient, crew: Crew, project_id: str, plan: dict, report_id: str = ""
) -> None:
    """Revision 2: the marketing line kept with more money, personnel dropped, operations
    added (as tests/integration/test_replanning.py does); after the deviation `report_id`,
    or one reported here."""
    if not report_id:
        report = await ok(
            await http.post(
                f"/projects/{project_id}/deviations",
                json={"deviation": "Slips", "cause": "Supplier", "adjusted_strategy": "Another"},
                headers=crew.lead,
            ),
            201,
        )
        report_id = report["id"]
    await ok(
        await http.post(
            f"/deviations/{report_id}/acknowledge",
            json={"decision": "Re-plan", "replan": True},
            headers=crew.manager,
        )
    )
    marketing = plan["budget_lines"][0]["line_id"]
    body = plan_body(
        crew,
        budget_lines=[
            {
                "line_id": marketing,
                "category": "marketing",
                "amount": {"amount": "150000.00", "currency": "CNY"},
                "description": "Trade shows, a year longer",
            },
            {"category": "operations", "amount": {"amount": "40000", "currency": "CNY"}},
        ],
    )
    await ok(await http.put(f"/plans/{plan['id']}", json=body, headers=crew.lead))
    await ok(await http.post(f"/plans/{plan['id']}/submit", headers=crew.lead))
    await review(http, plan["id"], crew.head)
    await review(http, plan["id"], crew.finance_head)


async def test_an_approved_plan_becomes_a_budget_and_overspend_waits_for_management(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    boss_id = unique("boss")
    boss = auth(boss_id, "management", "employee", "management")
    requester = crew.member  # on the project's team

    project_id, plan = await executing_project(http, crew)
    budget_id = Budget.create_id(uuid.UUID(project_id))
    draft = await budget_at(finance_http, budget_id, fin, lambda b: True)
    assert draft["state"] == "draft"
    assert draft["budget_version"] == 1
    assert sorted((x["line_id"], x["category"], x["budget"]["amount"]) for x in draft["lines"]) == (
        sorted((b["line_id"], b["category"], b["amount"]["amount"]) for b in plan["budget_lines"])
    )

    # Only finance approves; the contingency is 10 %.
    refused(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "10"}, headers=boss
        ),
        403,
    )
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "10"}, headers=fin
        )
    )
    marketing = next(x for x in draft["lines"] if x["category"] == "marketing")
    budgeted = Decimal(marketing["budget"]["amount"])  # 120000.50, ceiling 132000.55

    expense = {
        "line_id": marketing["line_id"],
        "spent_on": "2026-03-02",
        "vendor": "Expo Hall Ltd",
        "description": "Booth",
    }
    posted = await ok(
        await booked(
            finance_http,
            budget_id,
            {**expense, "amount": {"amount": "132000.55", "currency": "CNY"}},
            requester,
        ),
        201,
    )
    refused(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses",
            json={**expense, "amount": {"amount": "0.01", "currency": "USD"}},
            headers=requester,
        ),
        422,
        "body.amount",
    )
    held = await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses",
            json={
                **expense,
                "amount": {"amount": "0.01", "currency": "CNY"},
                "reason": "Power for the booth",
                "necessity": "No booth without it",
            },
            headers=requester,
        ),
        201,
    )

    async def inbox_of_management() -> list[dict[str, Any]]:
        r = await finance_http.get(
            "/inbox",
            params={
                "record_id": str(budget_id),
                "wait_for": str(budget_id),
                "min_version": held["version"],
            },
            headers=boss,
        )
        return [i for i in (await ok(r))["items"] if i["record_id"] == str(budget_id)]

    items = await eventually(inbox_of_management)
    assert [i["kind"] for i in items] == ["overspend_to_decide"]
    assert items[0]["link"].endswith(f"/expenses/{held['expense_id']}/approve")

    refused(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses/{held['expense_id']}/approve", headers=requester
        ),
        403,
    )
    approved = await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses/{held['expense_id']}/approve", headers=boss
        )
    )
    after = await budget_at(
        finance_http, budget_id, fin, lambda b: b["version"] >= approved["version"]
    )
    line = next(x for x in after["lines"] if x["line_id"] == marketing["line_id"])
    assert Decimal(line["committed"]["amount"]) == Decimal("132000.56")
    assert Decimal(line["actual"]["amount"]) == 0
    assert Decimal(line["pending"]["amount"]) == 0
    assert Decimal(line["remaining"]["amount"]) == budgeted - Decimal("132000.56")
    assert await inbox_of_management() == []

    # Approved is committed; finance's record of the payment posts it, an actual cost.
    pay = {"paid_on": "2026-03-05"}
    refused(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses/{posted['expense_id']}/pay", json=pay, headers=boss
        ),
        403,
    )
    for expense in (posted, held):
        paid = await ok(
            await finance_http.post(
                f"/budgets/{budget_id}/expenses/{expense['expense_id']}/pay", json=pay, headers=fin
            )
        )
    after = await budget_at(finance_http, budget_id, fin, lambda b: b["version"] >= paid["version"])
    line = next(x for x in after["lines"] if x["line_id"] == marketing["line_id"])
    assert (line["committed"]["amount"], line["actual"]["amount"]) == ("0.00", "132000.56")

    expected = [
        "BudgetOpened",
        "BudgetApproved",
        "ExpenseCommitted",
        "ExpenseHeldForApproval",
        "OverspendApproved",
        "ExpenseCommitted",
        "ExpensePosted",
        "BudgetLineOverrun",
        "ExpensePosted",
    ]
    # Counted by name, not by version: a month closed meanwhile stamps the budget unpublished.
    records = await read_topic(
        infra.kafka_bootstrap,
        FINANCE_TOPIC,
        lambda rs: len(by_subject(rs, str(budget_id))) >= len(expected),
    )
    names = [headers_of(r)["ce_type"].split(".")[2] for r in by_subject(records, str(budget_id))]
    assert names == expected
    assert posted["expense_id"] != held["expense_id"]

    # Revision 2 of the plan opens version 2, a draft, its changes line by line; version 1 kept.
    await replan(http, crew, project_id, plan)
    second = await budget_at(finance_http, budget_id, fin, lambda b: b["budget_version"] == 2)
    assert second["state"] == "draft"
    assert second["plan_revision"] == 2
    assert [v["budget_version"] for v in second["versions"]] == [1, 2]
    changes = {c["change"]: c for c in second["versions"][1]["changes"]}
    assert set(changes) == {"changed", "added", "removed"}
    assert changes["changed"]["line_id"] == marketing["line_id"]
    assert changes["changed"]["after"]["amount"] == "150000.00"


async def test_a_closed_period_refuses_postings_and_the_variance_report_matches_them(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient
) -> None:
    crew = Crew()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    requester = crew.member  # on the project's team
    project_id, _ = await executing_project(http, crew)
    budget_id = Budget.create_id(uuid.UUID(project_id))
    draft = await budget_at(finance_http, budget_id, fin, lambda b: True)
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "0"}, headers=fin
        )
    )
    line = {x["category"]: x["line_id"] for x in draft["lines"]}

    async def spend(category: str, amount: str, day: str, **why: str) -> dict[str, Any]:
        body = {
            "line_id": line[category],
            "amount": {"amount": amount, "currency": "CNY"},
            "spent_on": day,
            "vendor": "V",
            "description": "D",
            **why,
        }
        return await ok(await booked(finance_http, budget_id, body, requester), 201)

    # A month of this test's own, long past: periods are the company's, not a project's.
    # Booked into it before it closes: marketing 16.67 % over its budget, approved.
    year, month = 1901 + uuid.uuid4().int % 98, 1 + uuid.uuid4().int % 12
    day = f"{year:04d}-{month:02d}-15"
    boss = auth(unique("boss"), "management", "employee", "management")
    over = await spend("marketing", "140000.00", day, reason="Prices", necessity="The show")

    async def approve(expense: dict[str, Any]) -> int:
        path = f"/budgets/{budget_id}/expenses/{expense['expense_id']}/approve"
        version: int = (await ok(await finance_http.post(path, headers=boss)))["version"]
        return version

    async def pay(expense: dict[str, Any], paid_on: str) -> None:
        path = f"/budgets/{budget_id}/expenses/{expense['expense_id']}/pay"
        await ok(await finance_http.post(path, json={"paid_on": paid_on}, headers=fin))

    await approve(over)
    await pay(over, f"{year:04d}-{month:02d}-20")
    closed = await ok(
        await finance_http.post("/periods", json={"year": year, "month": month}, headers=fin), 201
    )
    period_id = closed["id"]
    refused(
        await finance_http.post("/periods", json={"year": year, "month": month}, headers=fin), 409
    )
    refused(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses",
            json={
                "line_id": line["marketing"],
                "amount": {"amount": "1.00", "currency": "CNY"},
                "spent_on": day,
                "vendor": "V",
                "description": "D",
            },
            headers=requester,
        ),
        422,
        "body.spent_on",
    )

    async def report() -> dict[str, Any]:
        return await ok(
            await finance_http.get(
                f"/periods/{period_id}/report", params={"min_version": 1}, headers=fin
            )
        )

    # The approval's posting reaches the views in the background.
    mine = await eventually(
        report,
        lambda r: any(
            x["line_id"] == line["marketing"] and x["actual"] != "0.00" for x in r["lines"]
        ),
    )
    [row] = [x for x in mine["lines"] if x["line_id"] == line["marketing"]]
    assert (row["budget"], row["actual"], row["variance"], row["variance_percent"]) == (
        "120000.50",
        "140000.00",
        "-19999.50",
        "-16.67",
    )
    # The close decided it, with the threshold in force then (the service's default, 10 %).
    assert row["needs_explanation"] is True
    assert Decimal(mine["threshold_percent"]) == 10
    [flagged] = [f for f in mine["period"]["flagged_lines"] if f["budget_id"] == str(budget_id)]
    assert (flagged["line_id"], flagged["variance_percent"]) == (line["marketing"], "-16.67")
    refused(
        await finance_http.post(f"/periods/{period_id}/finalize", headers=fin),
        422,
        "body.explanations",
    )
    await ok(
        await finance_http.post(
            f"/periods/{period_id}/explanations",
            json={
                "budget_id": str(budget_id),
                "line_id": line["marketing"],
                "reason": "Booth prices rose by a fifth",
                "improvement": "Book the booth a year ahead",
            },
            headers=fin,
        )
    )
    await ok(await finance_http.post(f"/periods/{period_id}/finalize", headers=fin))
    final = await eventually(report, lambda r: r["period"]["final"])
    [row] = [x for x in final["lines"] if x["line_id"] == line["marketing"]]
    assert row["reason"] == "Booth prices rose by a fifth"
    # Marketing is over its budget now: what follows on it is held; approved, it is committed
    # (unpaid), and paid it is actual.
    await approve(
        await spend("marketing", "100.10", "2026-01-10", reason="Prices", necessity="The show")
    )
    await spend("marketing", "20.05", "2026-02-10", reason="Prices", necessity="The show")
    await pay(await spend("personnel", "0.01", "2026-01-10"), "2026-01-12")
    last = await spend(
        "personnel", "300000.00", "2026-01-11", reason="Hiring", necessity="The pilot"
    )
    approved = await approve(last)
    await budget_at(finance_http, budget_id, fin, lambda b: b["version"] >= approved)

    report = await ok(
        await finance_http.get("/reports/variance", params={"project_id": project_id}, headers=fin)
    )
    by_category = {r["category"]: r for r in report}
    marketing = by_category["marketing"]
    assert (marketing["budget"], marketing["actual"], marketing["variance"]) == (
        "120000.50",
        "140000.00",
        "-19999.50",
    )
    assert marketing["committed"] == "100.10"  # the 20.05 held is not committed
    assert marketing["variance_percent"] == "-16.67"
    assert by_category["personnel"]["budget"] == "300000.00"
    assert by_category["personnel"]["committed"] == "300000.00"
    assert by_category["personnel"]["actual"] == "0.01"
    assert by_category["personnel"]["variance"] == "299999.99"
    assert by_category["personnel"]["variance_percent"] == "100.00"

    january = await ok(
        await finance_http.get(
            "/reports/variance",
            params={"project_id": project_id, "through": "2026-01-31", "by": "project"},
            headers=fin,
        )
    )
    assert [(r["budget"], r["actual"], r["variance"]) for r in january] == [
        ("420000.50", "140000.01", "280000.49")
    ]
    # On 11 January the 0.01 was spent, not yet paid: committed then, with what was spent.
    eleventh = await ok(
        await finance_http.get(
            "/reports/variance",
            params={"project_id": project_id, "through": "2026-01-11", "by": "project"},
            headers=fin,
        )
    )
    assert [(r["committed"], r["actual"]) for r in eleventh] == [("300100.11", "140000.00")]

    csv_response = await finance_http.get(
        "/reports/variance.csv", params={"project_id": project_id}, headers=fin
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert {r["category"]: (r["budget"], r["actual"], r["variance"]) for r in rows} == {
        "marketing": ("120000.50", "140000.00", "-19999.50"),
        "personnel": ("300000.00", "0.01", "299999.99"),
    }
