"""Steps of the performance paths over HTTP, shared by its integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from .conftest import auth, eventually, unique
from .flows import APPROVAL, REVIEW, People, draft, ok

HR_ID = "perf-hr"


def hr() -> dict[str, str]:
    """An hr officer of a department of their own: never among the people evaluated."""
    return auth(unique(HR_ID), unique("hr"), "employee", "hr")


def today_iso() -> str:
    return datetime.now(UTC).date().isoformat()


async def join(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    user_id: str,
    department: str,
    supervisor: str | None = None,
    position: str = "Sales representative",
) -> dict[str, Any]:
    body = {
        "user_id": user_id,
        "name": f"Name of {user_id}",
        "department": department,
        "position": position,
        "supervisor": supervisor,
        "joined_on": "2025-01-02",
    }
    return await ok(await http.post("/people", json=body, headers=headers), 201)


async def seen(
    http: httpx.AsyncClient, headers: dict[str, str], path: str, accepted: dict[str, Any]
) -> dict[str, Any]:
    """The record a command wrote, once its view shows that version."""
    r = await http.get(path, params={"min_version": accepted["version"]}, headers=headers)
    return await ok(r)


async def indicator(
    http: httpx.AsyncClient, headers: dict[str, str], kind: str, **extra: Any
) -> str:
    body = {"name": unique(kind), "kind": kind, "unit": "CNY", **extra}
    created = await ok(await http.post("/indicators", json=body, headers=headers), 201)
    await seen(http, headers, f"/indicators/{created['id']}", created)
    return str(created["id"])


async def target(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    indicator_id: str,
    subject: str,
    period: str,
    value: str,
    subject_kind: str = "person",
) -> dict[str, Any]:
    body = {
        "indicator_id": indicator_id,
        "subject_kind": subject_kind,
        "subject": subject,
        "period": period,
        "value": value,
        "basis": "Quarterly sales goal of the department, by job duty",
    }
    return await ok(await http.put("/targets", json=body, headers=headers))


async def attainment_of(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    indicator_id: str,
    subject: str,
    period: str,
    until: Any,
) -> dict[str, Any]:
    async def look() -> dict[str, Any] | None:
        r = await http.get(
            "/attainment",
            params={"indicator_id": indicator_id, "subject": subject, "period": period},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()
        return rows[0] if rows else None

    found = await eventually(look, lambda row: row is not None and until(row), within=60)
    assert found is not None
    return found


async def converted_lead(
    projects_http: httpx.AsyncClient, people: People, finder_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lead found by `finder_id` that became an approved project (projects' LeadConverted):
    the lead, and the approval (with its project id). The finder, applicant, reviewer and
    approver are four people, as projects requires."""
    lead = await ok(
        await projects_http.post(
            "/leads",
            json={
                "customer": "ACME Logistics",
                "need": "Stock tracking",
                "source": "trade show",
                "estimated_value": {"amount": "800000", "currency": "CNY"},
            },
            headers=auth(finder_id, people.department, "employee"),
        ),
        201,
    )
    app_id = (await draft(projects_http, people, lead_id=lead["id"]))["id"]
    await ok(await projects_http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(
        await projects_http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head)
    )
    approval = await ok(
        await projects_http.post(
            f"/applications/{app_id}/approve",
            json={**APPROVAL, "comments": "Go"},
            headers=people.manager,
        )
    )
    return lead, approval
