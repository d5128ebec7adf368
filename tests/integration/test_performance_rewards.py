"""Lead rewards (REGULATIONS 2.1, 8.4), through Kafka: a lead that becomes an approved
project rewards its finder with the policy's sum, approved by the manager who approved the
application, exactly once though the conversion is delivered twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from bizdev_performance.domain import LeadReward
from bizdev_performance.published import CONTRACT

from .conftest import (
    Infra,
    ServiceProcess,
    auth,
    by_subject,
    eventually,
    headers_of,
    read_topic,
    unique,
)
from .flows import People, ok
from .performance_flows import (
    converted_lead,
    hr,
)
from .test_poison import PROJECTS_TOPIC, put, reserve_sequence


async def reaction_position(conn: asyncpg.Connection, name: str) -> int:
    """Where the lead_rewards reaction has got to on one partition of the projects topic."""
    table = await conn.fetchval(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'performance' "
        "AND table_name LIKE '%tracking' AND table_name <> 'projection_tracking'"
    )
    position = await conn.fetchval(
        f'SELECT max(notification_id) FROM performance."{table}" WHERE application_name = $1',
        name,
    )
    return int(position or 0)


async def test_a_converted_lead_is_rewarded_exactly_once_though_delivered_twice(
    http: httpx.AsyncClient, performance_http: httpx.AsyncClient, infra: Infra
) -> None:
    people = People()
    finder_id = unique("finder")
    finder = auth(finder_id, people.department, "employee")
    lead, approval = await converted_lead(http, people, finder_id)
    reward_id = str(LeadReward.create_id(uuid.UUID(lead["id"])))

    async def rewards(headers: dict[str, str]) -> list[dict[str, Any]]:
        r = await performance_http.get(
            "/lead-rewards", params={"finder": finder_id}, headers=headers
        )
        return list((await ok(r))["items"])

    [granted] = await eventually(lambda: rewards(finder), bool, within=60)
    assert granted["id"] == reward_id
    assert granted["state"] == "granted"
    assert granted["amount"] == {"amount": "5000.00", "currency": "CNY"}
    assert granted["policy"] == "fixed"
    assert granted["project_id"] == approval["project_id"]
    assert granted["approved_by"] not in (finder_id, None)
    # Need to know: a colleague sees no one's reward but their own.
    assert await rewards(auth(unique("colleague"), people.department, "employee")) == []

    # The conversion delivered again: once as the relay would re-publish it (same position),
    # once as if it had been published anew (a later position).
    projects = await read_topic(
        infra.kafka_bootstrap,
        PROJECTS_TOPIC,
        lambda rs: any(
            headers_of(r)["ce_type"] == "bizdev.projects.LeadConverted.v1"
            for r in by_subject(rs, lead["id"])
        ),
    )
    [converted] = [
        r
        for r in by_subject(projects, lead["id"])
        if headers_of(r)["ce_type"] == "bizdev.projects.LeadConverted.v1"
    ]
    conn = await asyncpg.connect(infra.database_url)
    try:
        await put(
            infra, PROJECTS_TOPIC, uuid.UUID(lead["id"]), converted.value, list(converted.headers)
        )
        sequence = await reserve_sequence(conn, "projects")
        again = [
            (k, str(sequence).encode() if k == "ce_sequence" else v) for k, v in converted.headers
        ]
        await put(infra, PROJECTS_TOPIC, uuid.UUID(lead["id"]), converted.value, again)
        tracking = f"lead_rewards:{PROJECTS_TOPIC}#{converted.partition}"
        await eventually(lambda: reaction_position(conn, tracking), lambda p: p >= sequence)
        letters = await conn.fetchval(
            "SELECT count(*) FROM performance.dead_letters WHERE ce_id = $1",
            headers_of(converted)["ce_id"],
        )
    finally:
        await conn.close()
    assert letters == 0
    await asyncio.sleep(0.5)  # anything the duplicates caused reaches the view by now
    assert [r["id"] for r in await rewards(hr())] == [reward_id]
    records = await read_topic(
        infra.kafka_bootstrap, CONTRACT.topic, lambda rs: bool(by_subject(rs, reward_id))
    )
    published = [headers_of(r)["ce_type"] for r in by_subject(records, reward_id)]
    assert published == ["bizdev.performance.LeadRewardGranted.v1"]
    event = json.loads(by_subject(records, reward_id)[0].value)
    assert (event["finder"], event["amount"]) == (
        finder_id,
        {"amount": "5000.00", "currency": "CNY"},
    )


async def test_with_the_share_policy_the_reward_is_a_share_of_the_expected_revenue(
    http: httpx.AsyncClient, start_service: Callable[..., ServiceProcess]
) -> None:
    # A copy of performance of its own (schema, consumer groups) with the share policy; its
    # relay is off, so it never publishes beside the session's copy: its record tells.
    svc = start_service(
        "performance",
        db_schema="performance_share",
        relay_enabled="false",
        lead_reward_policy="share",
        lead_reward_share_percent="1.5",
    )
    try:
        finder_id = unique("finder")
        lead, approval = await converted_lead(http, People(), finder_id)
        reward_id = LeadReward.create_id(uuid.UUID(lead["id"]))
        officer = hr()
        async with httpx.AsyncClient(base_url=svc.url, timeout=30) as share_http:

            async def history() -> list[dict[str, Any]]:
                r = await share_http.get(f"/lead-rewards/{reward_id}/history", headers=officer)
                return list(r.json()) if r.status_code == 200 else []

            events = await eventually(
                history, lambda h: any(e["event"] == "Granted" for e in h), within=60
            )
    finally:
        svc.stop()
    [granted] = [e for e in events if e["event"] == "Granted"]
    # The application's expected revenue, 1,250,000.00 CNY (projects' ProjectOpened), x 1.5 %.
    assert granted["data"]["amount"] == {"amount": "18750.00", "currency": "CNY"}
    assert granted["data"]["expected_revenue"] == {"amount": "1250000.00", "currency": "CNY"}
    assert granted["data"]["finder"] == finder_id
    assert granted["by"] not in (None, finder_id)
    assert granted["data"]["project_id"] == approval["project_id"]
