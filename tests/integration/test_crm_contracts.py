"""Contracts over HTTP (REGULATIONS §4.2), against the real crm service, Kafka and
PostgreSQL: a contract signed appears in the customer's dealings and on the topic with what
finance, performance and records need; a duplicate number is refused; the head's inbox shows
the contract to sign until it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from .conftest import Infra, by_subject, headers_of, problem_of, read_topic, unique
from .crm_flows import CRM_TOPIC, CrmPeople, register, view
from .flows import ok


def _types(records: list[Any]) -> list[str]:
    return [headers_of(r)["ce_type"].split(".")[2] for r in records]


async def _inbox(
    crm_http: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    body = await ok(await crm_http.get("/inbox", params=params, headers=headers))
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_a_contract_signed_is_in_the_customers_dealings_and_on_the_topic(
    crm_http: httpx.AsyncClient, infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    number = unique("HT")
    project_id = "7d4f8a52-6c0e-4d59-9a53-2b8d3f1e9c11"
    drafted = await ok(
        await crm_http.post(
            "/contracts",
            json={
                "customer_id": customer["id"],
                "number": number,
                "title": "Warehouse pilot",
                "value": {"amount": "480000.00", "currency": "CNY"},
                "project_id": project_id,
            },
            headers=people.rep,
        ),
        201,
    )
    contract_id = str(drafted["id"])

    # Read-your-writes: the inbox waits until the contract's view has its version.
    to_sign = await _inbox(
        crm_http, people.head, kind="contract_to_sign", wait_for=contract_id, min_version=1
    )
    [item] = [i for i in to_sign if i["record_id"] == contract_id]
    assert item["link"] == f"/contracts/{contract_id}/sign"
    assert item["waits_on"] == {
        "user": None,
        "role": "department_head",
        "department": people.department,
    }
    assert not [i for i in await _inbox(crm_http, people.rep) if i["record_id"] == contract_id]

    # The salesperson may not sign off their own contract; the head of the department does.
    today = datetime.now(UTC).date().isoformat()
    own = await crm_http.post(
        f"/contracts/{contract_id}/sign", json={"signed_on": today}, headers=people.rep
    )
    assert own.status_code == 403, own.text
    signed = await ok(
        await crm_http.post(
            f"/contracts/{contract_id}/sign",
            json={"signed_on": today},
            headers={**people.head, "If-Match": '"1"'},
        )
    )
    assert signed["version"] == 2

    detail = await ok(
        await crm_http.get(
            f"/contracts/{contract_id}", params={"min_version": 2}, headers=people.auditor
        )
    )
    assert (detail["state"], detail["signed_on"], detail["salesperson"]) == (
        "signed",
        today,
        people.rep_id,
    )
    whole = await view(crm_http, customer["id"], 1, people.rep)
    assert [(k["id"], k["number"], k["state"]) for k in whole["contracts"]] == [
        (contract_id, number, "signed")
    ]
    listed = await ok(
        await crm_http.get(
            "/contracts",
            params={"customer_id": customer["id"], "state": "signed"},
            headers=people.rep,
        )
    )
    assert [k["id"] for k in listed["items"]] == [contract_id]
    assert not [
        i for i in await _inbox(crm_http, people.head) if i["record_id"] == contract_id
    ]  # signed: no longer waiting

    records = await read_topic(
        infra.kafka_bootstrap,
        CRM_TOPIC,
        lambda rs: "ContractSigned" in _types(by_subject(rs, contract_id)),
    )
    mine = by_subject(records, contract_id)
    assert _types(mine) == ["ContractDrafted", "ContractSigned"]
    body = json.loads(mine[-1].value)
    assert body["aggregate_id"] == contract_id
    assert body["number"] == number
    assert body["customer_id"] == customer["id"]
    assert body["salesperson"] == people.rep_id
    assert body["project_id"] == project_id
    assert body["value"] == {"amount": "480000.00", "currency": "CNY"}
    assert body["signed_on"] == today
    assert body["by"] == people.head_id

    history = await ok(await crm_http.get(f"/contracts/{contract_id}/history", headers=people.rep))
    assert [h["event"] for h in history] == ["Drafted", "Signed"]
    before = await ok(
        await crm_http.get(
            f"/contracts/{contract_id}/as-of", params={"version": 1}, headers=people.rep
        )
    )
    assert before["state"] == "draft"


async def test_a_duplicate_contract_number_is_refused(crm_http: httpx.AsyncClient) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    number = unique("HT")

    def body(n: str) -> dict[str, Any]:
        return {
            "customer_id": customer["id"],
            "number": n,
            "title": "Roll-out",
            "value": {"amount": "1000.00", "currency": "CNY"},
        }

    await ok(await crm_http.post("/contracts", json=body(number), headers=people.rep), 201)
    again = await crm_http.post("/contracts", json=body(f"  {number.lower()} "), headers=people.rep)
    assert again.status_code == 422, again.text
    assert [e["field"] for e in problem_of(again)["errors"]] == ["body.number"]
    listed = await ok(
        await crm_http.get("/contracts", params={"customer_id": customer["id"]}, headers=people.rep)
    )
    assert listed["total"] <= 1  # the refused one left nothing behind
