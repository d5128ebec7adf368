"""Views that forgive a redelivery: behind the tracking position, every projection write is
guarded by the record's version and every child row is keyed, so a batch applied again
(tracking lost), or older events applied after newer ones, leave the same view.

Through the test seam (bizdev_common.seam): the commands on the projects application over
the library's in-memory store, their events in the form the relay publishes them, applied to
the views in PostgreSQL; no Kafka, no service process."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from aiokafka import ConsumerRecord
from bizdev_common.consuming import read_envelope, read_event
from bizdev_common.domain import Money
from bizdev_common.envelope import source_for
from bizdev_common.feed import store_batch
from bizdev_common.projector import Projection
from bizdev_common.seam import OwnViews, in_memory, own_views
from bizdev_common.settings import ServiceSettings
from bizdev_projects.application import ProjectsApplication
from bizdev_projects.domain import Meeting, PlannedActionItem, Project, ProjectApplication
from bizdev_projects.main import parts
from bizdev_projects.projections import PROJECTIONS, TABLES
from bizdev_projects.published import CONTRACT

from .scenes import (
    ASSESSMENT,
    CNY,
    FINANCE_HEAD,
    LEAD,
    SALES_HEAD,
    content,
    employee,
    manager,
)

MEMBER = employee("bo")


def executing_project_with_a_meeting(app: ProjectsApplication) -> None:
    """A project opened from an approved application, its lead appointed, a member added,
    its plan approved (its milestones scheduled), a meeting minuted with two action items,
    one of them done: every step a command of the application."""
    applicant = employee("ann")
    drafted = app.draft_application(
        applicant,
        title="Smart warehouse",
        background="Clients ask for automated storage",
        target_customers="Mid-size logistics firms",
        expected_revenue=Money(Decimal("500000"), CNY),
        preliminary_plan="Pilot with two clients",
        lead_id=None,
        customer_id=None,
    )
    application_id = drafted.id
    app.act(
        ProjectApplication, application_id, 1, lambda application: application.submit(applicant)
    )
    app.review_application(
        SALES_HEAD,
        application_id,
        2,
        recommend=True,
        feasibility="Feasible",
        market_outlook="Growing",
        resource_needs="Two engineers",
    )
    app.approve_application(manager(), application_id, 3, ASSESSMENT, "Go ahead")
    project_id = Project.project_id_for(application_id)
    app.act(
        Project,
        project_id,
        1,
        lambda project: project.appoint_team_lead(manager(), LEAD.user_id, "Runs the team"),
    )
    app.act(
        Project, project_id, 2, lambda project: project.add_member(LEAD, MEMBER.user_id, "Sensors")
    )
    plan = app.draft_plan(employee(), project_id, content())
    app.submit_plan(employee(), plan.id, plan.version)
    app.review_plan(SALES_HEAD, plan.id, 2, verdict="passed", comments="")
    app.review_plan(FINANCE_HEAD, plan.id, 3, verdict="passed", comments="")
    meeting = app.schedule_meeting(
        LEAD,
        project_id,
        kind="weekly",
        title="Pilot status",
        meeting_date=date(2027, 3, 22),
        attendees=[LEAD.user_id, MEMBER.user_id],
        agenda="Pilot status",
    )
    app.record_minutes(
        LEAD,
        meeting.id,
        1,
        minutes="Pilot on track",
        attendees=[LEAD.user_id, MEMBER.user_id],
        action_items=[
            PlannedActionItem("Call the supplier", MEMBER.user_id, date(2027, 3, 25)),
            PlannedActionItem("Update the plan", LEAD.user_id, date(2027, 3, 25)),
        ],
    )
    minuted = app.load(Meeting, meeting.id)
    item = next(i for i in minuted.action_items.values() if i.owner == MEMBER.user_id)
    app.complete_action_item(MEMBER, meeting.id, 2, item.id)


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}


async def _view(views: OwnViews) -> dict[str, list[dict[str, Any]]]:
    return {
        table: sorted(
            (dict(r) for r in await views.fetch(f"SELECT * FROM {{schema}}.{table}")), key=repr
        )
        for table in TABLES
    }


async def _apply_each(
    views: OwnViews, families: list[Projection], records: list[ConsumerRecord]
) -> None:
    """Every record through the projections with no tracking at all: only the guards stand."""
    async with views.pool.acquire() as conn, conn.transaction():
        for family in families:
            for rec in records:
                envelope = read_envelope(rec)
                event = read_event(family.contracts[rec.topic], rec, envelope)
                assert event is not None
                await family.apply(conn, event, envelope)


async def test_a_batch_applied_again_or_out_of_order_leaves_the_same_view(
    database_url: str,
) -> None:
    service = parts(
        ServiceSettings(
            service="projects",
            database_url=database_url,
            db_schema=f"forgive_{uuid.uuid4().hex[:8]}",
        )
    )
    app = in_memory(service)
    executing_project_with_a_meeting(app)
    stored = app.recorder.select_notifications(start=None, limit=1000)
    mine = store_batch(app, CONTRACT, source_for("projects"), stored).records
    types = {_headers(r)["ce_type"].split(".")[2] for r in mine}
    assert {"TeamMemberAdded", "PlanSubmitted", "MilestonesScheduled"} <= types
    assert {"MeetingMinutesRecorded", "ActionItemCompleted"} <= types

    async with own_views(service, app) as views:
        assert await views.catch_up() == len(stored)
        first = await _view(views)
        assert len(first["projects"]) == 1
        assert len(first["team_members"]) == 2
        assert len(first["milestones"]) == 2
        assert len(first["action_items"]) == 2
        # The two milestones' and the action item not done yet.
        assert len(first["deadlines"]) == 3

        # The tracking lost: the whole store again.
        await views.fetch("DELETE FROM {schema}.projection_tracking")
        assert await views.catch_up() == len(stored)
        assert await _view(views) == first

        # Older events after newer ones, with no tracking to stop them: all of them again, in
        # order, then backwards, then the first half.
        families = [make(service.settings.schema_name) for make in PROJECTIONS]
        await _apply_each(views, families, mine)
        assert await _view(views) == first
        await _apply_each(views, families, list(reversed(mine)))
        assert await _view(views) == first
        await _apply_each(views, families, mine[: len(mine) // 2])
        assert await _view(views) == first
