"""records' reactions to projects' and crm's events park a record they cannot read or act on,
and go on with the next (like every consumer, tests/integration/test_poison.py)."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from .conftest import Infra
from .planning_flows import Crew, open_project
from .records_flows import Archive, file_of
from .test_finance_receivables import signed_contract
from .test_poison import CRM_TOPIC, PROJECTS_TOPIC, headers, parked, put, reserve_sequence


async def test_records_parks_poison_from_projects_and_files_the_projects_that_follow(
    http: httpx.AsyncClient, records_http: httpx.AsyncClient, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id = uuid.uuid4()
        await put(
            infra,
            PROJECTS_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'"',
            headers(
                "projects",
                "bizdev.projects.ProjectOpened.v1",
                broken_id,
                await reserve_sequence(conn, "projects"),
            ),
        )
        project_id = await open_project(http, Crew())
        await file_of(records_http, Archive().archivist, project_id)
        broken = await parked(conn, "records", ce_id=f"{broken_id}/1", handler="project_files")
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "records.project_files"
        assert "does not match its model" in broken["error"]
    finally:
        await conn.close()


async def test_records_parks_poison_from_crm_and_files_the_contracts_that_follow(
    crm_http: httpx.AsyncClient, records_http: httpx.AsyncClient, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id = uuid.uuid4()
        await put(
            infra,
            CRM_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'", "version": 2}',
            headers(
                "crm",
                "bizdev.crm.ContractSigned.v1",
                broken_id,
                await reserve_sequence(conn, "crm"),
            ),
        )
        contract_id, _ = await signed_contract(crm_http, "1000.00")
        await file_of(records_http, Archive().archivist, contract_id)
        broken = await parked(conn, "records", ce_id=f"{broken_id}/1", handler="customer_files")
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "records.customer_files"
        assert "does not match its model" in broken["error"]
    finally:
        await conn.close()
