"""performance's consumers park a record they cannot read and go on with the next (like every
consumer, tests/integration/test_poison.py): the lead_rewards reaction on the projects topic,
the actuals view on the crm topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from bizdev_performance.domain import LeadReward

from .conftest import Infra, eventually, unique
from .flows import People
from .performance_flows import attainment_of, converted_lead, hr, indicator, join, target
from .test_finance_receivables import signed_contract
from .test_poison import CRM_TOPIC, PROJECTS_TOPIC, headers, parked, put, reserve_sequence


async def test_performance_parks_poison_and_rewards_and_measures_what_follows(
    http: httpx.AsyncClient,
    crm_http: httpx.AsyncClient,
    performance_http: httpx.AsyncClient,
    infra: Infra,
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        lead_poison, contract_poison = uuid.uuid4(), uuid.uuid4()
        await put(
            infra,
            PROJECTS_TOPIC,
            lead_poison,
            b'{"aggregate_id": "' + str(lead_poison).encode() + b'", "finder": 7}',
            headers(
                "projects",
                "bizdev.projects.LeadConverted.v1",
                lead_poison,
                await reserve_sequence(conn, "projects"),
            ),
        )
        await put(
            infra,
            CRM_TOPIC,
            contract_poison,
            b'{"aggregate_id": "' + str(contract_poison).encode() + b'", "version": 2}',
            headers(
                "crm",
                "bizdev.crm.ContractSigned.v1",
                contract_poison,
                await reserve_sequence(conn, "crm"),
            ),
        )

        # A lead converted after the poison is rewarded.
        people = People()
        finder_id = unique("finder")
        lead, _ = await converted_lead(http, people, finder_id)
        reward_id = LeadReward.create_id(uuid.UUID(lead["id"]))
        officer = hr()

        async def reward() -> int:
            r = await performance_http.get(f"/lead-rewards/{reward_id}", headers=officer)
            return r.status_code

        await eventually(reward, lambda s: s == 200, within=60)

        # A contract signed after the poison is measured.
        month = datetime.now(UTC).strftime("%Y-%m")
        _, crm_people = await signed_contract(crm_http, "1000.00")
        await join(performance_http, officer, crm_people.rep_id, crm_people.department)
        sales = await indicator(performance_http, officer, "sales")
        await target(performance_http, officer, sales, crm_people.rep_id, month, "1000")
        row: dict[str, Any] = await attainment_of(
            performance_http, officer, sales, crm_people.rep_id, month, lambda r: r["facts"] >= 1
        )
        assert Decimal(row["attainment"]) == 100

        broken = await parked(conn, "performance", ce_id=f"{lead_poison}/1")
        assert (broken["kind"], broken["handler"]) == ("reaction", "lead_rewards")
        assert broken["consumer_group"] == "performance.lead_rewards"
        assert "does not match its model" in broken["error"]
        unread = await parked(conn, "performance", ce_id=f"{contract_poison}/1")
        assert (unread["kind"], unread["handler"]) == ("projection", "actuals")
    finally:
        await conn.close()
