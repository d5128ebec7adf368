"""records' reactions to projects' and crm's events park a record they cannot read or act on,
and go on with the next (like every consumer, tests/integration/test_poison.py); an event that
does not cross the boundary types (a NUL crm should have refused) is parked before anything is
stored."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
from bizdev_records.domain import Category, File, Record

from .conftest import Infra
from .crm_flows import CrmPeople, register
from .planning_flows import Crew, open_project
from .records_flows import Archive, file_of
from .test_finance_receivables import signed_contract
from .test_poison import (
    CRM_TOPIC,
    PROJECTS_TOPIC,
    headers,
    letters,
    nul_customer,
    parked,
    put,
    reserve_sequence,
)


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


async def test_a_customer_with_a_nul_in_its_name_is_a_dead_letter_in_records_with_nothing_stored(
    crm_http: httpx.AsyncClient, records_http: httpx.AsyncClient, infra: Infra
) -> None:
    """crm's own views park such an event; records' customer files must not take it in and
    store it again in its own event store, where its views could never apply it either."""
    people, archive = CrmPeople(), Archive()
    conn = await asyncpg.connect(infra.database_url)
    try:
        nul_id = uuid.uuid4()
        nul = nul_customer(people, nul_id)
        hdrs = headers(
            "crm", "bizdev.crm.CustomerRegistered.v1", nul_id, await reserve_sequence(conn, "crm")
        )
        await put(infra, CRM_TOPIC, nul_id, nul.model_dump_json().encode(), hdrs)

        # The customers that follow are filed.
        after = await register(crm_http, people)
        await file_of(records_http, archive.archivist, after["id"])

        letter = await parked(conn, "records", ce_id=f"{nul_id}/1")
        assert (letter["kind"], letter["handler"], letter["consumer_group"]) == (
            "reaction",
            "customer_files",
            "records.customer_files",
        )
        assert "refused at the boundary" in letter["error"], letter["error"]
        assert "name: must not contain the control character U+0000" in letter["error"]
        assert letter["attempts"] == 1  # the same bytes would be refused again: parked at once

        # Nothing stored: no file, no record, so nothing for records' own views to choke on.
        opened = File.create_id(Category.CUSTOMER.value, nul_id)
        filed = Record.filed_from(f"{nul_id}/1")
        assert (
            await conn.fetchval(
                'SELECT count(*) FROM "records".records_events WHERE originator_id = ANY($1)',
                [opened, filed],
            )
            == 0
        )
        files = await records_http.get(
            "/files", params={"subject_id": str(nul_id)}, headers=archive.archivist
        )
        assert files.status_code == 200, files.text
        assert files.json()["items"] == []
        assert [x["handler"] for x in await letters(conn, "records", ce_id=f"{nul_id}/1")] == [
            "customer_files"
        ]
    finally:
        await conn.close()
