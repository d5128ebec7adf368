"""Lead rewards (REGULATIONS 2.1, 8.4) and teams from projects' events, through Kafka: a lead
that becomes an approved project rewards its finder with the policy's sum, approved by the
manager who approved the application, exactly once though the conversion is delivered twice;
the project's team as projects forms it."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from bizdev_performance.contract import CONTRACT
from bizdev_performance.domain import LeadReward

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .crm_flows import CrmPeople, register
from .flows import APPROVAL, REVIEW, People, draft, ok
from .performance_flows import (
    attainment_of,
    converted_lead,
    hr,
    indicator,
    target,
    today_iso,
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


async def test_teams_follow_projects_team_events_and_their_sales_attain_targets(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient, performance_http: httpx.AsyncClient
) -> None:
    people = People()
    approval = await ok(
        await http.post(
            f"/applications/{(await draft(http, people))['id']}/submit", headers=people.applicant
        )
    )
    app_id = approval["id"]
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    project_id = (
        await ok(
            await http.post(
                f"/applications/{app_id}/approve",
                json={**APPROVAL, "comments": "Go"},
                headers=people.manager,
            )
        )
    )["project_id"]
    lead_id = unique("lead")
    await ok(
        await http.put(
            f"/projects/{project_id}/team-lead",
            json={"user_id": lead_id, "responsibilities": "Runs the team"},
            headers=people.manager,
        )
    )

    async def team() -> list[dict[str, Any]]:
        r = await performance_http.get(
            "/teams", params={"project_id": project_id}, headers=people.applicant
        )
        return list(r.json()) if r.status_code == 200 else []

    [formed] = await eventually(team, lambda t: bool(t) and bool(t[0]["members"]), within=60)
    assert formed["department"] == people.department
    assert formed["members"] == [{"member": lead_id, "lead": True}]

    # A contract crm signs for the project counts for its team.
    crm_people = CrmPeople()
    customer = await register(crm_http, crm_people)
    drafted = await ok(
        await crm_http.post(
            "/contracts",
            json={
                "customer_id": customer["id"],
                "number": unique("HT"),
                "title": "Warehouse pilot",
                "value": {"amount": "30000.00", "currency": "CNY"},
                "project_id": project_id,
            },
            headers=crm_people.rep,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/contracts/{drafted['id']}/sign",
            json={"signed_on": today_iso()},
            headers=crm_people.head,
        )
    )
    officer = hr()
    sales = await indicator(performance_http, officer, "sales")
    month = today_iso()[:7]
    await target(performance_http, officer, sales, project_id, month, "120000", subject_kind="team")
    row = await attainment_of(
        performance_http, officer, sales, project_id, month, lambda r: r["facts"] >= 1
    )
    assert (row["actual"], row["subject_department"]) == ("30000.00", people.department)
    assert Decimal(row["attainment"]) == 25
