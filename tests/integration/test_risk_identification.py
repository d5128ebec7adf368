"""Periodic identification on the real Kafka and PostgreSQL (REGULATIONS 5.1): the risk
officer opens a round asking two departments; one head submits its department's risk, the
other is late: under a test clock past the due date it is in that head's inbox, overdue, and
IdentificationOverdue is published once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .conftest import TestClock as Clock
from .flows import ok

OFFICER = auth(unique("officer"), "risk", "employee", "risk_officer")


async def test_an_identification_round_with_one_department_late(
    risk_http: httpx.AsyncClient, clocks: Callable[[str], Clock], infra: Infra
) -> None:
    prompt, late = unique("sales"), unique("ops")
    prompt_head = auth(unique("head"), prompt, "employee", "department_head")
    late_head = auth(unique("head"), late, "employee", "department_head")
    today = datetime.now(UTC).date()

    refused = await risk_http.post(
        "/identification-rounds",
        json={
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "departments": [prompt],
            "due_on": today.isoformat(),
        },
        headers=prompt_head,
    )
    assert refused.status_code == 403
    opened = await ok(
        await risk_http.post(
            "/identification-rounds",
            json={
                "period_start": "2026-01-01",
                "period_end": "2026-03-31",
                "departments": [prompt, late],
                "due_on": today.isoformat(),
            },
            headers=OFFICER,
        ),
        201,
    )
    round_id = opened["id"]

    async def waiting_on(head: dict[str, str]) -> list[dict[str, Any]]:
        r = await risk_http.get(
            "/inbox",
            params={
                "kind": "identification_to_submit",
                "record_id": round_id,
                "wait_for": round_id,
                "min_version": 1,
            },
            headers=head,
        )
        return [i for i in (await ok(r))["items"] if i["record_id"] == round_id]

    [item] = await eventually(lambda: waiting_on(prompt_head))
    assert item["item"] == prompt
    assert item["overdue"] is False

    # The prompt department's head identifies a risk of the department and submits it.
    raised = await ok(
        await risk_http.post(
            "/risks",
            json={
                "category": "market",
                "scope": "company",
                "department": prompt,
                "title": "A competitor undercuts our prices",
                "description": "A new entrant offers the same service 20% cheaper",
                "cause": "Market entry",
            },
            headers=prompt_head,
        ),
        201,
    )
    wrong = await risk_http.post(
        f"/identification-rounds/{round_id}/submissions",
        json={"department": late, "risk_ids": [raised["id"]]},
        headers=prompt_head,
    )
    assert wrong.status_code == 422  # not that department's risk
    submitted = await ok(
        await risk_http.post(
            f"/identification-rounds/{round_id}/submissions",
            json={"department": prompt, "risk_ids": [raised["id"]]},
            headers=prompt_head,
        )
    )
    assert await eventually(lambda: waiting_on(prompt_head), lambda items: items == []) == []

    clock = clocks("risk")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))

        async def detail() -> dict[str, Any]:
            r = await risk_http.get(f"/identification-rounds/{round_id}", headers=OFFICER)
            return await ok(r)

        after = await eventually(
            detail, lambda d: any(s["overdue"] for s in d["submissions"]), within=30
        )
        [lagging] = await waiting_on(late_head)
        await asyncio.sleep(1.5)  # several more ticks of the scheduler: not raised again
        records = await read_topic(
            infra.kafka_bootstrap,
            "bizdev.risk.events.v1",
            lambda rs: len(by_subject(rs, round_id)) >= submitted["version"] + 1,
        )
    finally:
        clock.reset()

    states = {s["department"]: s for s in after["submissions"]}
    assert states[prompt]["state"] == "submitted"
    assert states[prompt]["risk_ids"] == [raised["id"]]
    assert states[prompt]["overdue"] is False
    assert (states[late]["state"], states[late]["overdue"]) == ("awaiting", True)
    assert lagging["item"] == late
    assert lagging["overdue"] is True
    names = [headers_of(r)["ce_type"].split(".")[2] for r in by_subject(records, round_id)]
    assert names == [
        "IdentificationRoundOpened",
        "IdentificationSubmitted",
        "IdentificationOverdue",
    ]
    # The late head may still submit, marked late; only once.
    declared = await ok(
        await risk_http.post(
            f"/identification-rounds/{round_id}/submissions",
            json={"department": late, "declared_none": True},
            headers=late_head,
        )
    )
    again = await risk_http.post(
        f"/identification-rounds/{round_id}/submissions",
        json={"department": late, "declared_none": True},
        headers=late_head,
    )
    assert again.status_code == 409
    final = await ok(
        await risk_http.get(
            f"/identification-rounds/{round_id}",
            params={"min_version": declared["version"]},
            headers=late_head,
        )
    )
    assert {s["department"]: s["declared_none"] for s in final["submissions"]}[late] is True
