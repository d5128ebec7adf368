"""finance's reaction to projects' approved plans parks a record it cannot read or act on,
and goes on with the next (like every consumer, tests/integration/test_poison.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
from bizdev_finance.domain import Budget, Receivable

from .conftest import Infra, auth, eventually, unique
from .planning_flows import Crew, executing_project
from .test_finance_receivables import signed_contract
from .test_poison import CRM_TOPIC, PROJECTS_TOPIC, headers, parked, put, reserve_sequence

PLAN_APPROVED = "bizdev.projects.PlanApproved.v1"


def plan_approved(project_id: uuid.UUID, amount: str) -> bytes:
    return json.dumps(
        {
            "aggregate_id": str(uuid.uuid4()),
            "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "project_id": str(project_id),
            "project_name": "Poisoned",
            "department": "sales",
            "revision": 1,
            "budget_lines": [
                {
                    "line_id": str(uuid.uuid4()),
                    "category": "marketing",
                    "amount": {"amount": amount, "currency": "CNY"},
                }
            ],
        }
    ).encode()


async def test_finance_parks_poison_from_projects_and_budgets_the_plans_that_follow(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id, unbudgetable_id = uuid.uuid4(), uuid.uuid4()
        await put(
            infra,
            PROJECTS_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'"',
            headers("projects", PLAN_APPROVED, broken_id, await reserve_sequence(conn, "projects")),
        )
        # Well-formed, but a line of nothing is no budget: the domain refuses it every time.
        await put(
            infra,
            PROJECTS_TOPIC,
            unbudgetable_id,
            plan_approved(uuid.uuid4(), "0.00"),
            headers(
                "projects", PLAN_APPROVED, unbudgetable_id, await reserve_sequence(conn, "projects")
            ),
        )

        crew = Crew()
        project_id, _ = await executing_project(http, crew)
        fin = auth(unique("fin"), "finance", "employee", "finance")
        budget_id = Budget.create_id(uuid.UUID(project_id))

        async def status() -> int:
            return (await finance_http.get(f"/budgets/{budget_id}", headers=fin)).status_code

        await eventually(status, lambda s: s == 200, within=60)

        broken = await parked(conn, "finance", ce_id=f"{broken_id}/1", handler="plan_budgets")
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "finance.plan_budgets"
        assert "does not match its model" in broken["error"]
        refused = await parked(
            conn, "finance", ce_id=f"{unbudgetable_id}/1", handler="plan_budgets"
        )
        assert "more than zero" in refused["error"]
    finally:
        await conn.close()


async def test_finance_parks_poison_from_crm_and_opens_the_receivables_that_follow(
    crm_http: httpx.AsyncClient, finance_http: httpx.AsyncClient, infra: Infra
) -> None:
    signed = "bizdev.crm.ContractSigned.v1"
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id = uuid.uuid4()
        await put(
            infra,
            CRM_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'", "version": 2}',
            headers("crm", signed, broken_id, await reserve_sequence(conn, "crm")),
        )
        contract_id, _ = await signed_contract(crm_http, "1000.00")
        fin = auth(unique("fin"), "finance", "employee", "finance")
        receivable_id = Receivable.create_id(uuid.UUID(contract_id))

        async def status() -> int:
            r = await finance_http.get(f"/receivables/{receivable_id}", headers=fin)
            return r.status_code

        await eventually(status, lambda s: s == 200, within=60)
        broken = await parked(
            conn, "finance", ce_id=f"{broken_id}/1", handler="contract_receivables"
        )
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "finance.contract_receivables"
        assert "does not match its model" in broken["error"]
    finally:
        await conn.close()
