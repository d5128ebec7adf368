"""risk's KRI reaction parks an upstream record it cannot read or act on, and goes on with
the next (like every consumer, tests/integration/test_poison.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from .conftest import Infra, auth, eventually, unique
from .crm_flows import CrmPeople, receive, register
from .flows import ok
from .test_poison import CRM_TOPIC, headers, parked, put, reserve_sequence

OFFICER = auth(unique("officer"), "risk", "employee", "risk_officer")


async def test_risk_parks_poison_from_crm_and_counts_the_complaints_that_follow(
    crm_http: httpx.AsyncClient, risk_http: httpx.AsyncClient, infra: Infra
) -> None:
    received = "bizdev.crm.ComplaintReceived.v1"
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id = uuid.uuid4()
        await put(
            infra,
            CRM_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'", "version": 1}',
            headers("crm", received, broken_id, await reserve_sequence(conn, "crm")),
        )
        people = CrmPeople()
        customer_id = str((await register(crm_http, people))["id"])
        await receive(crm_http, people, customer_id)

        async def counted() -> list[dict[str, Any]]:
            r = await risk_http.get(
                "/kris",
                # Other tests define indicators counting complaints too.
                params={"scope_id": customer_id, "indicator": "complaints_per_customer"},
                headers=OFFICER,
            )
            items: list[dict[str, Any]] = (await ok(r))["items"]
            return items

        [kri] = await eventually(counted, within=60)
        assert (kri["indicator"], kri["value"]) == ("complaints_per_customer", 1)
        broken = await parked(conn, "risk", ce_id=f"{broken_id}/1", handler="kris")
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "risk.kris"
        assert "does not match its model" in broken["error"]
    finally:
        await conn.close()
