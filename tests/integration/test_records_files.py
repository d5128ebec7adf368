"""Files open by themselves through Kafka alone: a project opened in projects opens a project
file, a customer registered and a contract signed in crm open a customer file and a contract
file, each with its first record; a customer file holds what crm publishes, never its
contact persons' personal data."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import eventually
from .crm_flows import CrmPeople, contact_body, register
from .flows import ok
from .planning_flows import Crew, open_project
from .records_flows import Archive, file_of
from .test_finance_receivables import signed_contract


async def test_an_opened_project_appears_as_a_project_file(
    http: httpx.AsyncClient, records_http: httpx.AsyncClient
) -> None:
    crew = Crew()
    project_id = await open_project(http, crew)
    archive = Archive()
    await file_of(records_http, archive.archivist, project_id)

    async def both_filed() -> dict[str, Any]:
        file = await file_of(records_http, archive.archivist, project_id)
        return file if len(file["records"]) >= 2 else {}

    # The approval that opened it is filed there too, whatever the order it arrives in.
    file = await eventually(both_filed, within=30)
    assert file["category"] == "project"
    assert file["source"] == "projects.ProjectOpened"
    assert file["department"] == crew.department
    assert file["active"] is True
    [opened] = [r for r in file["records"] if r["source"] == "projects.ProjectOpened"]
    assert opened["state"] == "filed"
    assert opened["medium"] == "electronic"
    assert any(r["source"] == "projects.ApplicationApproved" for r in file["records"])
    detail = await ok(await records_http.get(f"/records/{opened['id']}", headers=crew.member))
    assert detail["document"]["name"] == file["title"]


async def test_a_signed_contract_appears_as_a_contract_file_and_its_customer_too(
    crm_http: httpx.AsyncClient, records_http: httpx.AsyncClient
) -> None:
    contract_id, people = await signed_contract(crm_http, "250000.00")
    archive = Archive()
    contract_file = await file_of(records_http, archive.archivist, contract_id)
    assert contract_file["category"] == "contract"
    assert contract_file["source"] == "crm.ContractSigned"
    [signed] = contract_file["records"]
    assert signed["title"].startswith("Signed contract HT-")
    detail = await ok(await records_http.get(f"/records/{signed['id']}", headers=archive.auditor))
    assert detail["document"]["value"] == {"amount": "250000.00", "currency": "CNY"}
    customer_id = detail["document"]["customer_id"]
    customer_file = await file_of(records_http, archive.archivist, customer_id)
    assert customer_file["category"] == "customer"
    assert customer_file["department"] == people.department


async def test_a_customer_file_keeps_no_contact_persons_personal_data(
    crm_http: httpx.AsyncClient, records_http: httpx.AsyncClient
) -> None:
    people = CrmPeople()
    contact = contact_body()
    customer = await register(crm_http, people, contacts=[contact])
    archive = Archive()
    file = await file_of(records_http, archive.archivist, customer["id"])
    [registered] = file["records"]
    detail = await ok(await records_http.get(f"/records/{registered['id']}", headers=people.rep))
    history = await ok(
        await records_http.get(f"/records/{registered['id']}/history", headers=archive.auditor)
    )
    everything = str(file) + str(detail) + str(history)
    for personal in ("name", "phone", "email"):
        assert contact[personal] not in everything
    assert detail["document"]["name"] == file["title"]
    # Someone of another department finds the entry in the catalogue, not the document.
    other = await ok(
        await records_http.get(f"/records/{registered['id']}", headers=archive.outsider)
    )
    assert other["document"] is None
    for read in ("history", "as-of?version=1"):
        refused = await records_http.get(
            f"/records/{registered['id']}/{read}", headers=archive.outsider
        )
        assert refused.status_code == 403
    as_filed = await ok(
        await records_http.get(
            f"/records/{registered['id']}/as-of", params={"version": 1}, headers=archive.auditor
        )
    )
    assert as_filed["state"] == "filed"
