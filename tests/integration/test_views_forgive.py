"""Views that forgive a redelivery: behind the tracking position, every projection write is
guarded by the record's version and every child row is keyed, so a batch applied again
(tracking lost), or older events applied after newer ones, leave the same view."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import ConsumerRecord
from bizdev_common.deadletters import read_envelope, read_event
from bizdev_common.projector import Projection
from bizdev_common.scheduler import DEADLINES_DDL
from bizdev_projects.projections import PROJECTIONS, TABLES

from .conftest import Infra, ServiceProcess, read_topic, unique
from .flows import ok
from .planning_flows import Crew, executing_project, today

TOPIC = "bizdev.projects.events.v1"


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}


async def _view(conn: asyncpg.Connection, schema: str) -> dict[str, list[dict[str, Any]]]:
    return {
        table: sorted(
            (dict(r) for r in await conn.fetch(f'SELECT * FROM "{schema}".{table}')), key=repr
        )
        for table in TABLES
    }


async def _apply_each(
    conn: asyncpg.Connection, views: list[Projection], records: list[ConsumerRecord]
) -> None:
    """Every record through the projections with no tracking at all: only the guards stand."""
    async with conn.transaction():
        for family in views:
            for rec in records:
                envelope = read_envelope(rec)
                event = read_event(family.contracts[rec.topic], rec, envelope)
                assert event is not None
                await family.apply(conn, event, envelope)


async def test_a_batch_applied_again_or_out_of_order_leaves_the_same_view(
    projects: ServiceProcess, infra: Infra
) -> None:
    conversation = unique("forgive")
    async with httpx.AsyncClient(
        base_url=projects.url, timeout=30, headers={"X-Correlation-Id": conversation}
    ) as http:
        crew = Crew()
        project_id, _ = await executing_project(http, crew)
        due = (today() + timedelta(days=10)).isoformat()
        meeting = await ok(
            await http.post(
                f"/projects/{project_id}/meetings",
                json={
                    "kind": "weekly",
                    "title": "Pilot status",
                    "meeting_date": (today() + timedelta(days=7)).isoformat(),
                    "attendees": [crew.lead_id, crew.member_id],
                    "agenda": "Pilot status",
                },
                headers=crew.lead,
            ),
            201,
        )
        await ok(
            await http.post(
                f"/meetings/{meeting['id']}/minutes",
                json={
                    "minutes": "Pilot on track",
                    "attendees": [crew.lead_id, crew.member_id],
                    "action_items": [
                        {
                            "description": "Call the supplier",
                            "owner": crew.member_id,
                            "due_date": due,
                        },
                        {"description": "Update the plan", "owner": crew.lead_id, "due_date": due},
                    ],
                },
                headers={**crew.lead, "If-Match": '"1"'},
            )
        )
        meeting_view = await ok(
            await http.get(
                f"/meetings/{meeting['id']}", params={"min_version": 2}, headers=crew.lead
            )
        )
        item = next(i for i in meeting_view["action_items"] if i["owner"] == crew.member_id)
        last = await ok(
            await http.post(
                f"/meetings/{meeting['id']}/action-items/{item['id']}/done", headers=crew.member
            )
        )
    last_id = f"{meeting['id']}/{last['version']}"

    records = await read_topic(
        infra.kafka_bootstrap,
        TOPIC,
        lambda rs: any(_headers(r).get("ce_id") == last_id for r in rs),
    )
    mine = [r for r in records if _headers(r).get("ce_correlationid") == conversation]
    types = {_headers(r)["ce_type"].split(".")[2] for r in mine}
    assert {"TeamMemberAdded", "PlanSubmitted", "MilestonesScheduled"} <= types
    assert {"MeetingMinutesRecorded", "ActionItemCompleted"} <= types

    schema = f"forgive_{uuid.uuid4().hex[:8]}"
    views = [make(schema) for make in PROJECTIONS]
    conn = await asyncpg.connect(infra.database_url)
    try:
        for family in views:
            await family.create(conn)
        await conn.execute(DEADLINES_DDL.format(schema=f'"{schema}"'))
        for family in views:
            assert await family.apply_batch(conn, mine) == len(mine)
        first = await _view(conn, schema)
        assert [p["id"] for p in first["projects"]] == [uuid.UUID(project_id)]
        assert len(first["team_members"]) == 2
        assert len(first["milestones"]) == 2
        assert len(first["action_items"]) == 2
        # The two milestones' and the action item not done yet.
        assert len(first["deadlines"]) == 3

        # The tracking lost: the whole batch again.
        await conn.execute(f'DELETE FROM "{schema}".projection_tracking')
        for family in views:
            await family.apply_batch(conn, mine)
        assert await _view(conn, schema) == first

        # Older events after newer ones, with no tracking to stop them: all of them again, in
        # order, then backwards, then the first half.
        await _apply_each(conn, views, mine)
        assert await _view(conn, schema) == first
        await _apply_each(conn, views, list(reversed(mine)))
        assert await _view(conn, schema) == first
        await _apply_each(conn, views, mine[: len(mine) // 2])
        assert await _view(conn, schema) == first
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
