"""Steps of the initiation path over HTTP, shared by the integration tests."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import auth, eventually, unique

Headers = dict[str, str]


class People:
    """A department of fresh people, so that each test's records are its own."""

    def __init__(self, department: str | None = None) -> None:
        self.department = department or unique("dept")
        self.applicant_id = unique("applicant")
        self.applicant = auth(self.applicant_id, self.department, "employee")
        self.head_id = unique("head")
        self.head = auth(self.head_id, self.department, "employee", "department_head")
        self.manager = auth(unique("manager"), "management", "employee", "management")


def application_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Smart warehouse for ACME",
        "background": "ACME's warehouses lose 3% of stock a year",
        "target_customers": "Logistics companies in the Pearl River Delta",
        "expected_revenue": {"amount": "1250000.00", "currency": "CNY"},
        "preliminary_plan": "Pilot in one warehouse, then roll out",
    }
    body.update(overrides)
    return body


REVIEW = {
    "recommend": True,
    "feasibility": "Feasible with the current platform",
    "market_outlook": "Growing demand",
    "resource_needs": "Two engineers for six months",
}


APPROVAL = {
    "strategic_fit": "Opens the logistics market",
    "market_outlook": "Warehouse automation grows 12% a year",
    "economic_benefit": "1.25 million CNY at a 20% margin",
}
"""Management's assessment, which an approval requires (REGULATIONS 2.3)."""


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def draft(http: httpx.AsyncClient, people: People, **overrides: Any) -> dict[str, Any]:
    r = await http.post(
        "/applications", json=application_body(**overrides), headers=people.applicant
    )
    return await ok(r, 201)


async def to_reviewed(http: httpx.AsyncClient, people: People, **overrides: Any) -> str:
    app_id = (await draft(http, people, **overrides))["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    return str(app_id)


async def approved(http: httpx.AsyncClient, people: People, **overrides: Any) -> dict[str, Any]:
    app_id = await to_reviewed(http, people, **overrides)
    r = await http.post(
        f"/applications/{app_id}/approve",
        json={**APPROVAL, "comments": "Go ahead"},
        headers=people.manager,
    )
    return await ok(r)


async def booked(
    finance_http: httpx.AsyncClient, budget_id: object, body: dict[str, Any], headers: Headers
) -> httpx.Response:
    """An expense booked by one of the project's team. Finance learns the team from projects'
    events a moment after projects commits them; until then it refuses the member (403,
    nothing booked), as it would any client in that moment, who tries again."""
    return await eventually(
        lambda: finance_http.post(f"/budgets/{budget_id}/expenses", json=body, headers=headers),
        lambda r: r.status_code != 403,
        within=60,
    )
