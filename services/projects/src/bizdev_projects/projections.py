"""Read models of the projects service, fed by its own topic: the lists and detail pages
frontends query. Each row keeps the version of its record, for read-your-writes, and an
event writes a record's rows (its own, its children's, its deadlines) only when it is newer
than that row: a redelivered or older event changes nothing (bizdev_common.projector)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, insert_record, update_record
from bizdev_common.scheduler import clear_deadline, clear_deadlines, set_deadlines
from pydantic import BaseModel

from bizdev_projects import contract as c
from bizdev_projects.domain import (
    ACTION_ITEM_OVERDUE,
    MILESTONE_OVERDUE,
    ApplicationState,
    BusinessPlan,
    DeviationState,
    LeadState,
    MeetingState,
    PlanState,
    ProjectState,
    Verdict,
    budget_totals,
    milestone_due_at,
)

PENDING = "pending"
"""The verdict of a requested review not given yet."""

APPLICATION_REVIEW = "application_review"
APPLICATION_DECISION = "application_decision"
PLAN_REVIEW = "plan_review"
DEVIATION_ACKNOWLEDGEMENT = "deviation_acknowledgement"
ACTION_ITEM = "action_item"
INBOX_KINDS = [
    APPLICATION_REVIEW,
    APPLICATION_DECISION,
    PLAN_REVIEW,
    DEVIATION_ACKNOWLEDGEMENT,
    ACTION_ITEM,
]
"""What waits on someone in the projects service (GET /inbox): an application to review (its
department's head, or management when the applicant is that head) or to decide (management),
a plan revision to review (the head of each department it names), a deviation to acknowledge
(management, to whom it is escalated as reported), an action item to do (its owner, by the
end of its due date)."""


def review_id(plan_id: UUID, revision: int, department: str) -> UUID:
    """One row per department and revision: every round of reviews stays visible."""
    return uuid5(plan_id, f"{revision}/{department}")


def _json(models: Sequence[BaseModel]) -> str:
    return json.dumps([m.model_dump(mode="json") for m in models])


DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.applications (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        state text NOT NULL,
        title text NOT NULL,
        department text NOT NULL,
        applicant text NOT NULL,
        background text NOT NULL,
        target_customers text NOT NULL,
        expected_revenue_amount numeric NOT NULL,
        expected_revenue_currency text NOT NULL,
        preliminary_plan text NOT NULL,
        lead_id uuid,
        customer_id uuid,
        opinion jsonb,
        decision_by text,
        decision_reasons text,
        project_id uuid,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS applications_state ON {schema}.applications (state, department)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.projects (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        state text NOT NULL,
        name text NOT NULL,
        department text NOT NULL,
        applicant text NOT NULL,
        application_id uuid NOT NULL,
        expected_revenue_amount numeric NOT NULL,
        expected_revenue_currency text NOT NULL,
        lead_id uuid,
        customer_id uuid,
        opened_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.leads (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        finder text NOT NULL,
        department text NOT NULL,
        customer text NOT NULL,
        need text NOT NULL,
        source text NOT NULL,
        estimated_value_amount numeric NOT NULL,
        estimated_value_currency text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.market_insights (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        recorded_by text NOT NULL,
        department text NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    ALTER TABLE {schema}.leads
        ADD COLUMN IF NOT EXISTS converted_project_id uuid,
        ADD COLUMN IF NOT EXISTS converted_application_id uuid,
        ADD COLUMN IF NOT EXISTS converted_at timestamptz
    """,
    """
    ALTER TABLE {schema}.projects
        ADD COLUMN IF NOT EXISTS health text NOT NULL DEFAULT 'on_track',
        ADD COLUMN IF NOT EXISTS health_note text NOT NULL DEFAULT '',
        ADD COLUMN IF NOT EXISTS team_lead text,
        ADD COLUMN IF NOT EXISTS outcome text,
        ADD COLUMN IF NOT EXISTS outcome_summary text,
        ADD COLUMN IF NOT EXISTS closed_by text,
        ADD COLUMN IF NOT EXISTS closed_at timestamptz
    """,
    """
    ALTER TABLE {schema}.applications
        ADD COLUMN IF NOT EXISTS applicant_is_head boolean NOT NULL DEFAULT false,
        ADD COLUMN IF NOT EXISTS assessment jsonb
    """,
    """
    ALTER TABLE {schema}.leads
        ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'submitted',
        ADD COLUMN IF NOT EXISTS customer_id uuid,
        ADD COLUMN IF NOT EXISTS judged_by text,
        ADD COLUMN IF NOT EXISTS judgement text
    """,
    # Leads converted before they had a state.
    """
    UPDATE {schema}.leads SET state = 'converted'
    WHERE converted_project_id IS NOT NULL AND state <> 'converted'
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.plans (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        project_id uuid NOT NULL UNIQUE,
        project_name text NOT NULL,
        department text NOT NULL,
        state text NOT NULL,
        revision int NOT NULL,
        author text NOT NULL,
        goals text NOT NULL,
        marketing_strategy text NOT NULL,
        product_plan text NOT NULL,
        milestones jsonb NOT NULL,
        budget_lines jsonb NOT NULL,
        budget_totals jsonb NOT NULL,
        review_departments text[] NOT NULL,
        submitted_by text,
        approved_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS plans_state ON {schema}.plans (state, department)",
    # The revision in force (execution and the budget follow it) beside the latest one, which
    # differs from it while re-planning.
    """
    ALTER TABLE {schema}.plans
        ADD COLUMN IF NOT EXISTS approved_revision int,
        ADD COLUMN IF NOT EXISTS approved_milestones jsonb,
        ADD COLUMN IF NOT EXISTS approved_budget_lines jsonb,
        ADD COLUMN IF NOT EXISTS approved_budget_totals jsonb,
        ADD COLUMN IF NOT EXISTS replanning_deviation_id uuid
    """,
    # Plans approved before re-planning existed: the latest revision is the one in force.
    """
    UPDATE {schema}.plans SET approved_revision = revision,
        approved_milestones = milestones, approved_budget_lines = budget_lines,
        approved_budget_totals = budget_totals
    WHERE state = 'approved' AND approved_revision IS NULL
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.plan_reviews (
        id uuid PRIMARY KEY,
        plan_id uuid NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        revision int NOT NULL,
        department text NOT NULL,
        verdict text NOT NULL,
        reviewer text,
        comments text,
        reviewed_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS plan_reviews_inbox ON {schema}.plan_reviews (department, verdict)",
    "CREATE INDEX IF NOT EXISTS plan_reviews_plan ON {schema}.plan_reviews (plan_id, revision)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.team_members (
        project_id uuid NOT NULL,
        user_id text NOT NULL,
        responsibilities text NOT NULL,
        is_lead boolean NOT NULL,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, user_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.milestones (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        name text NOT NULL,
        due_date date NOT NULL,
        owner text NOT NULL,
        percent int NOT NULL,
        status text NOT NULL,
        completed_on date,
        late boolean,
        overdue_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS milestones_project ON {schema}.milestones (project_id, due_date)",
    "CREATE INDEX IF NOT EXISTS milestones_status ON {schema}.milestones (status, due_date)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.deviations (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        milestone_id uuid,
        state text NOT NULL,
        reported_by text NOT NULL,
        deviation text NOT NULL,
        cause text NOT NULL,
        adjusted_strategy text NOT NULL,
        decision text,
        acknowledged_by text,
        acknowledged_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS deviations_project ON {schema}.deviations (project_id, state)",
    """
    ALTER TABLE {schema}.deviations
        ADD COLUMN IF NOT EXISTS replan_required boolean NOT NULL DEFAULT false
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.meetings (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        meeting_date date NOT NULL,
        organizer text NOT NULL,
        attendees text[] NOT NULL,
        agenda text NOT NULL,
        state text NOT NULL,
        minutes text,
        minutes_by text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS meetings_project ON {schema}.meetings (project_id, meeting_date)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.action_items (
        id uuid PRIMARY KEY,
        meeting_id uuid NOT NULL,
        project_id uuid NOT NULL,
        description text NOT NULL,
        owner text NOT NULL,
        due_date date NOT NULL,
        done boolean NOT NULL,
        done_by text,
        done_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS action_items_owner ON {schema}.action_items (owner, done)",
    # What a list of action items shows: each with its meeting and project, in one query.
    """
    CREATE OR REPLACE VIEW {schema}.action_item_list AS
    SELECT a.*, m.title AS meeting_title, m.meeting_date, m.project_name, m.department
    FROM {schema}.action_items a JOIN {schema}.meetings m ON m.id = a.meeting_id
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.contacts (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        party_kind text NOT NULL,
        party text NOT NULL,
        contact_date date NOT NULL,
        summary text NOT NULL,
        customer_id uuid,
        logged_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS contacts_project ON {schema}.contacts (project_id, contact_date)",
]


class ProjectsViews(Projection):
    name = "views"
    tables = (
        "applications",
        "projects",
        "leads",
        "market_insights",
        "plans",
        "plan_reviews",
        "team_members",
        "milestones",
        "deviations",
        "meetings",
        "action_items",
        "contacts",
        "deadlines",
        inbox.TABLE,
    )
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case c.ApplicationDrafted():
                await insert_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.DRAFT.value,
                        "title": event.title,
                        "department": event.department,
                        "applicant": event.by,
                        "background": event.background,
                        "target_customers": event.target_customers,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "preliminary_plan": event.preliminary_plan,
                        "lead_id": event.lead_id,
                        "customer_id": event.customer_id,
                    },
                )
            case c.ApplicationRevised():
                await update_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.DRAFT.value,
                        "title": event.title,
                        "background": event.background,
                        "target_customers": event.target_customers,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "preliminary_plan": event.preliminary_plan,
                        "opinion": None,
                        "decision_by": None,
                        "decision_reasons": None,
                    },
                )
            case c.ApplicationSubmitted():
                await update_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.SUBMITTED.value,
                        "applicant_is_head": event.applicant_is_head,
                    },
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind=APPLICATION_REVIEW,
                    title=f"Review the initiation application {event.title!r} of {event.applicant}",
                    waiting_on=(
                        inbox.MANAGEMENT
                        if event.applicant_is_head
                        else inbox.head_of(event.department)
                    ),
                    link=f"/applications/{event.aggregate_id}/review",
                )
            case c.ApplicationReviewed():
                opinion = event.model_dump_json(
                    include={
                        "by",
                        "recommend",
                        "feasibility",
                        "market_outlook",
                        "resource_needs",
                        "reviewed_as",
                    }
                )
                await update_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.DEPARTMENT_REVIEWED.value,
                        "opinion": opinion,
                    },
                )
                await inbox.close(conn, self.schema, event, kind=APPLICATION_REVIEW)
                title = await conn.fetchval(
                    f"SELECT title FROM {self.t['applications']} WHERE id = $1",
                    event.aggregate_id,
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind=APPLICATION_DECISION,
                    title=f"Approve or reject the initiation application {title!r}",
                    waiting_on=inbox.MANAGEMENT,
                    link=f"/applications/{event.aggregate_id}/approve",
                )
            case c.ApplicationApproved():
                await update_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.APPROVED.value,
                        "decision_by": event.by,
                        "decision_reasons": event.comments or None,
                        "project_id": event.project_id,
                        "assessment": event.model_dump_json(
                            include={"strategic_fit", "market_outlook", "economic_benefit"}
                        ),
                    },
                )
                await inbox.close(conn, self.schema, event, kind=APPLICATION_DECISION)
            case c.ApplicationRejected():
                await update_record(
                    conn,
                    self.t["applications"],
                    event,
                    {
                        "state": ApplicationState.REJECTED.value,
                        "decision_by": event.by,
                        "decision_reasons": event.reasons,
                    },
                )
                await inbox.close(conn, self.schema, event, kind=APPLICATION_DECISION)
            case c.ProjectOpened():
                await insert_record(
                    conn,
                    self.t["projects"],
                    event,
                    {
                        "state": ProjectState.OPEN.value,
                        "name": event.name,
                        "department": event.department,
                        "applicant": event.applicant,
                        "application_id": event.application_id,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "lead_id": event.lead_id,
                        "customer_id": event.customer_id,
                        "opened_by": event.by,
                    },
                )
            case c.LeadSubmitted():
                await insert_record(
                    conn,
                    self.t["leads"],
                    event,
                    {
                        "finder": event.by,
                        "department": event.department,
                        "customer": event.customer,
                        "need": event.need,
                        "source": event.source,
                        "estimated_value_amount": event.estimated_value.amount,
                        "estimated_value_currency": event.estimated_value.currency,
                        "customer_id": event.customer_id,
                    },
                )
            case c.LeadQualified():
                await update_record(
                    conn,
                    self.t["leads"],
                    event,
                    {
                        "state": LeadState.QUALIFIED.value,
                        "customer_id": event.customer_id,
                        "judged_by": event.by,
                        "judgement": event.note,
                    },
                )
            case c.LeadDiscarded():
                await update_record(
                    conn,
                    self.t["leads"],
                    event,
                    {
                        "state": LeadState.DISCARDED.value,
                        "judged_by": event.by,
                        "judgement": event.reasons,
                    },
                )
            case c.MarketInsightRecorded():
                await insert_record(
                    conn,
                    self.t["market_insights"],
                    event,
                    {
                        "recorded_by": event.by,
                        "department": event.department,
                        "kind": event.kind,
                        "title": event.title,
                        "content": event.content,
                    },
                )

            case c.LeadConverted():
                await update_record(
                    conn,
                    self.t["leads"],
                    event,
                    {
                        "state": LeadState.CONVERTED.value,
                        "converted_project_id": event.project_id,
                        "converted_application_id": event.application_id,
                        "converted_at": event.occurred_at,
                    },
                )
            case (
                c.PlanDrafted()
                | c.PlanRevised()
                | c.PlanSubmitted()
                | c.PlanReviewed()
                | c.PlanApproved()
                | c.PlanReplanningRequired()
            ):
                await self._plan(conn, event)
            case (
                c.TeamLeadAppointed()
                | c.TeamMemberAdded()
                | c.TeamMemberResponsibilitiesChanged()
                | c.TeamMemberRemoved()
            ):
                await self._team(conn, event)
            case (
                c.MilestonesScheduled()
                | c.MilestoneProgressRecorded()
                | c.MilestoneCompleted()
                | c.MilestoneOverdue()
                | c.ProjectHealthChanged()
                | c.ProjectClosed()
            ):
                await self._execution(conn, event)
            case c.DeviationReported() | c.DeviationAcknowledged():
                await self._deviation(conn, event)
            case (
                c.MeetingScheduled()
                | c.MeetingMinutesRecorded()
                | c.ActionItemCompleted()
                | c.ActionItemOverdue()
                | c.ContactLogged()
            ):
                await self._communication(conn, event)

    async def _plan(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        match event:
            case c.PlanDrafted():
                await insert_record(
                    conn,
                    self.t["plans"],
                    event,
                    {
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "state": PlanState.DRAFT.value,
                        "revision": 1,
                        "author": event.by,
                        **self._plan_content(event),
                    },
                )
            case c.PlanRevised():
                await update_record(
                    conn,
                    self.t["plans"],
                    event,
                    {
                        "state": PlanState.DRAFT.value,
                        "revision": event.revision,
                        "submitted_by": None,
                        **self._plan_content(event),
                    },
                )
            case c.PlanSubmitted():
                for d in event.review_departments:
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind=PLAN_REVIEW,
                        item=d,
                        title=f"Review revision {event.revision} of the business plan of "
                        f"{event.project_name} for {d}",
                        waiting_on=inbox.head_of(d),
                        link=f"/plans/{event.aggregate_id}/review",
                    )
                await self._settled_if_project_closed(conn, event.aggregate_id, event.project_id)
                if not await update_record(
                    conn,
                    self.t["plans"],
                    event,
                    {"state": PlanState.IN_REVIEW.value, "submitted_by": event.by},
                ):
                    return
                await conn.executemany(
                    f"INSERT INTO {self.t['plan_reviews']} (id, plan_id, project_id, "
                    "project_name, revision, department, verdict, created_at, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING",
                    [
                        (
                            review_id(event.aggregate_id, event.revision, d),
                            event.aggregate_id,
                            event.project_id,
                            event.project_name,
                            event.revision,
                            d,
                            PENDING,
                            event.occurred_at,
                        )
                        for d in event.review_departments
                    ],
                )
            case c.PlanReviewed():
                sent_back = event.verdict == Verdict.CHANGES_REQUESTED
                if sent_back:
                    # Sent back: no department reviews this revision any more.
                    await inbox.close_record(conn, self.schema, event)
                else:
                    await inbox.close(
                        conn, self.schema, event, kind=PLAN_REVIEW, item=event.reviewing_department
                    )
                if not await update_record(
                    conn,
                    self.t["plans"],
                    event,
                    {"state": PlanState.CHANGES_REQUESTED.value} if sent_back else {},
                ):
                    return
                await conn.execute(
                    f"UPDATE {self.t['plan_reviews']} SET verdict = $2, reviewer = $3, "
                    "comments = $4, reviewed_at = $5, updated_at = $5 WHERE id = $1",
                    review_id(event.aggregate_id, event.revision, event.reviewing_department),
                    event.verdict,
                    event.by,
                    event.comments,
                    event.occurred_at,
                )
            case c.PlanApproved():
                await update_record(
                    conn,
                    self.t["plans"],
                    event,
                    {
                        "state": PlanState.APPROVED.value,
                        "approved_at": event.occurred_at,
                        "approved_revision": event.revision,
                        "approved_milestones": _json(event.milestones),
                        "approved_budget_lines": _json(event.budget_lines),
                        "approved_budget_totals": _json(event.budget_totals),
                        "replanning_deviation_id": None,
                    },
                )
            case c.PlanReplanningRequired():
                await update_record(
                    conn,
                    self.t["plans"],
                    event,
                    {
                        "state": PlanState.REPLANNING.value,
                        "replanning_deviation_id": event.deviation_id,
                    },
                )

    @staticmethod
    def _plan_content(event: c.PlanDrafted | c.PlanRevised) -> dict[str, Any]:
        totals = budget_totals(b.amount.to_money() for b in event.budget_lines)
        return {
            "goals": event.goals,
            "marketing_strategy": event.marketing_strategy,
            "product_plan": event.product_plan,
            "milestones": _json(event.milestones),
            "budget_lines": _json(event.budget_lines),
            "budget_totals": json.dumps([m.as_dict() for m in totals]),
            "review_departments": event.review_departments,
        }

    async def _team(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        members = self.t["team_members"]
        # The project's row says whether the event is news; its members follow that verdict.
        team_lead = {"team_lead": event.team_lead} if isinstance(event, c.TeamLeadAppointed) else {}
        if not await update_record(conn, self.t["projects"], event, team_lead):
            return
        match event:
            case c.TeamLeadAppointed():
                await conn.execute(
                    f"UPDATE {members} SET is_lead = false WHERE project_id = $1 AND is_lead",
                    event.aggregate_id,
                )
                await conn.execute(
                    f"INSERT INTO {members} (project_id, user_id, responsibilities, is_lead, "
                    "joined_at) VALUES ($1, $2, $3, true, $4) "
                    "ON CONFLICT (project_id, user_id) DO UPDATE SET is_lead = true, "
                    "responsibilities = EXCLUDED.responsibilities",
                    event.aggregate_id,
                    event.team_lead,
                    event.responsibilities,
                    event.occurred_at,
                )
            case c.TeamMemberAdded():
                await conn.execute(
                    f"INSERT INTO {members} (project_id, user_id, responsibilities, is_lead, "
                    "joined_at) VALUES ($1, $2, $3, false, $4) "
                    "ON CONFLICT (project_id, user_id) DO NOTHING",
                    event.aggregate_id,
                    event.member,
                    event.responsibilities,
                    event.occurred_at,
                )
            case c.TeamMemberResponsibilitiesChanged():
                await conn.execute(
                    f"UPDATE {members} SET responsibilities = $3 "
                    "WHERE project_id = $1 AND user_id = $2",
                    event.aggregate_id,
                    event.member,
                    event.responsibilities,
                )
            case c.TeamMemberRemoved():
                await conn.execute(
                    f"DELETE FROM {members} WHERE project_id = $1 AND user_id = $2",
                    event.aggregate_id,
                    event.member,
                )

    async def _execution(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        milestones = self.t["milestones"]
        match event:
            case c.ProjectHealthChanged():
                await update_record(
                    conn,
                    self.t["projects"],
                    event,
                    {"health": event.health, "health_note": event.note},
                )
                return
            case c.ProjectClosed():
                closed = await update_record(
                    conn,
                    self.t["projects"],
                    event,
                    {
                        "state": ProjectState.CLOSED.value,
                        "outcome": event.outcome,
                        "outcome_summary": event.summary,
                        "closed_by": event.by,
                        "closed_at": event.occurred_at,
                    },
                )
                if closed:
                    # A closed project has no deadlines left, its meetings' action items none.
                    await clear_deadlines(conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id)
                    await conn.execute(
                        f'DELETE FROM "{self.schema}".deadlines WHERE kind = $1 AND '
                        f"aggregate_id IN (SELECT id FROM {self.t['meetings']} "
                        "WHERE project_id = $2)",
                        ACTION_ITEM_OVERDUE,
                        event.aggregate_id,
                    )
                    # Nothing of a closed project waits on anyone. The items keep their
                    # meeting's version, so a redelivered minutes event opens none again.
                    await conn.execute(
                        f'UPDATE "{self.schema}".inbox SET state = $1, updated_at = $2 '
                        f"WHERE state <> $1 AND record_id IN (SELECT id FROM {self.t['meetings']} "
                        "WHERE project_id = $3 UNION SELECT id FROM "
                        f"{self.t['deviations']} WHERE project_id = $3 UNION SELECT $4::uuid)",
                        inbox.DONE,
                        event.occurred_at,
                        event.aggregate_id,
                        BusinessPlan.plan_id_for(event.aggregate_id),
                    )
                return
        # The project's row says whether the event is news; its milestones follow that verdict.
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        match event:
            case c.MilestonesScheduled():
                await self._schedule(conn, event)
            case c.MilestoneProgressRecorded():
                await conn.execute(
                    f"UPDATE {milestones} SET percent = $2, updated_at = $3 WHERE id = $1",
                    event.milestone_id,
                    event.percent,
                    event.occurred_at,
                )
            case c.MilestoneCompleted():
                await conn.execute(
                    f"UPDATE {milestones} SET percent = 100, status = 'done', completed_on = $2, "
                    "late = $3, updated_at = $4 WHERE id = $1",
                    event.milestone_id,
                    event.completed_on,
                    event.late,
                    event.occurred_at,
                )
                await clear_deadline(
                    conn,
                    self.schema,
                    MILESTONE_OVERDUE,
                    event.aggregate_id,
                    str(event.milestone_id),
                )
            case c.MilestoneOverdue():
                await conn.execute(
                    f"UPDATE {milestones} SET status = 'overdue', overdue_at = $2, updated_at = $3 "
                    "WHERE id = $1",
                    event.milestone_id,
                    event.detected_at,
                    event.occurred_at,
                )
                # Reported: nothing is left for the deadline to do, even when a rebuild of
                # this view re-arms it from the milestone's scheduling.
                await clear_deadline(
                    conn,
                    self.schema,
                    MILESTONE_OVERDUE,
                    event.aggregate_id,
                    str(event.milestone_id),
                )

    async def _schedule(self, conn: asyncpg.Connection, event: c.MilestonesScheduled) -> None:
        """The approved revision's milestones replace the project's (re-planning): a kept one
        keeps its progress and is open again when its date moved, a dropped one goes, and
        the deadline of each open milestone whose date is new is (re-)armed."""
        milestones = self.t["milestones"]
        before = {
            r["id"]: r
            for r in await conn.fetch(
                f"SELECT id, due_date, status FROM {milestones} WHERE project_id = $1",
                event.aggregate_id,
            )
        }
        scheduled = {m.id for m in event.milestones}
        dropped = [i for i in before if i not in scheduled]
        await conn.execute(f"DELETE FROM {milestones} WHERE id = ANY($1::uuid[])", dropped)
        for i in dropped:
            await clear_deadline(conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id, str(i))
        await conn.executemany(
            f"INSERT INTO {milestones} AS m (id, project_id, project_name, department, name, "
            "due_date, owner, percent, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 'open', $8, $8) "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, owner = EXCLUDED.owner, "
            "due_date = EXCLUDED.due_date, updated_at = EXCLUDED.updated_at, "
            "status = CASE WHEN m.status = 'overdue' AND m.due_date <> EXCLUDED.due_date "
            "THEN 'open' ELSE m.status END, "
            "overdue_at = CASE WHEN m.due_date <> EXCLUDED.due_date THEN NULL "
            "ELSE m.overdue_at END",
            [
                (
                    m.id,
                    event.aggregate_id,
                    event.project_name,
                    event.department,
                    m.name,
                    m.due_date,
                    m.owner,
                    event.occurred_at,
                )
                for m in event.milestones
            ],
        )
        await set_deadlines(
            conn,
            self.schema,
            MILESTONE_OVERDUE,
            event.aggregate_id,
            {
                str(m.id): milestone_due_at(m.due_date)
                for m in event.milestones
                if m.id not in before
                or (before[m.id]["status"] != "done" and before[m.id]["due_date"] != m.due_date)
            },
        )

    async def _deviation(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        match event:
            case c.DeviationReported():
                await insert_record(
                    conn,
                    self.t["deviations"],
                    event,
                    {
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "milestone_id": event.milestone_id,
                        "state": DeviationState.ESCALATED.value,
                        "reported_by": event.by,
                        "deviation": event.deviation,
                        "cause": event.cause,
                        "adjusted_strategy": event.adjusted_strategy,
                    },
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind=DEVIATION_ACKNOWLEDGEMENT,
                    title=f"Acknowledge the deviation of {event.project_name}: {event.deviation}",
                    waiting_on=inbox.MANAGEMENT,
                    link=f"/deviations/{event.aggregate_id}/acknowledge",
                )
                await self._settled_if_project_closed(conn, event.aggregate_id, event.project_id)
            case c.DeviationAcknowledged():
                await update_record(
                    conn,
                    self.t["deviations"],
                    event,
                    {
                        "state": DeviationState.ACKNOWLEDGED.value,
                        "replan_required": event.replan_required,
                        "decision": event.decision,
                        "acknowledged_by": event.by,
                        "acknowledged_at": event.occurred_at,
                    },
                )
                await inbox.close(conn, self.schema, event, kind=DEVIATION_ACKNOWLEDGEMENT)

    async def _settled_if_project_closed(
        self, conn: asyncpg.Connection, record_id: UUID, project_id: UUID | None
    ) -> None:
        """What a record of a closed project opens is settled at once, as ProjectClosed
        settles what was open: the project's events and the record's arrive on different
        partitions in either order, and the view must be the same both ways."""
        closed_at = await conn.fetchval(
            f"SELECT closed_at FROM {self.t['projects']} WHERE id = $1 AND state = $2",
            project_id,
            ProjectState.CLOSED.value,
        )
        if closed_at is None:
            return
        await conn.execute(
            f'UPDATE "{self.schema}".inbox SET state = $1, updated_at = $2 '
            "WHERE record_id = $3 AND state <> $1",
            inbox.DONE,
            closed_at,
            record_id,
        )
        await clear_deadlines(conn, self.schema, ACTION_ITEM_OVERDUE, record_id)

    async def _communication(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        items = self.t["action_items"]
        match event:
            case c.MeetingScheduled():
                await insert_record(
                    conn,
                    self.t["meetings"],
                    event,
                    {
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "kind": event.kind,
                        "title": event.title,
                        "meeting_date": event.meeting_date,
                        "organizer": event.by,
                        "attendees": event.attendees,
                        "agenda": event.agenda,
                        "state": MeetingState.SCHEDULED.value,
                    },
                )
            case c.MeetingMinutesRecorded():
                if not await update_record(
                    conn,
                    self.t["meetings"],
                    event,
                    {
                        "state": MeetingState.MINUTED.value,
                        "attendees": event.attendees,
                        "minutes": event.minutes,
                        "minutes_by": event.by,
                    },
                ):
                    return
                await conn.executemany(
                    f"INSERT INTO {items} (id, meeting_id, project_id, description, owner, "
                    "due_date, done, created_at, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7) ON CONFLICT (id) DO NOTHING",
                    [
                        (
                            i.id,
                            event.aggregate_id,
                            event.project_id,
                            i.description,
                            i.owner,
                            i.due_date,
                            event.occurred_at,
                        )
                        for i in event.action_items
                    ],
                )
                await set_deadlines(
                    conn,
                    self.schema,
                    ACTION_ITEM_OVERDUE,
                    event.aggregate_id,
                    {str(i.id): end_of(i.due_date) for i in event.action_items},
                )
                for i in event.action_items:
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind=ACTION_ITEM,
                        item=str(i.id),
                        title=i.description,
                        waiting_on=inbox.person(i.owner),
                        due_at=end_of(i.due_date),
                        link=f"/meetings/{event.aggregate_id}/action-items/{i.id}/done",
                    )
                project_id = await conn.fetchval(
                    f"SELECT project_id FROM {self.t['meetings']} WHERE id = $1", event.aggregate_id
                )
                await self._settled_if_project_closed(conn, event.aggregate_id, project_id)
            case c.ActionItemCompleted():
                if not await update_record(conn, self.t["meetings"], event, {}):
                    return
                await conn.execute(
                    f"UPDATE {items} SET done = true, done_by = $2, done_at = $3, updated_at = $3 "
                    "WHERE id = $1",
                    event.item_id,
                    event.by,
                    event.occurred_at,
                )
                await clear_deadline(
                    conn, self.schema, ACTION_ITEM_OVERDUE, event.aggregate_id, str(event.item_id)
                )
                await inbox.close(
                    conn, self.schema, event, kind=ACTION_ITEM, item=str(event.item_id)
                )
            case c.ActionItemOverdue():
                if not await update_record(conn, self.t["meetings"], event, {}):
                    return
                # Reported: nothing is left for the deadline to do.
                await clear_deadline(
                    conn, self.schema, ACTION_ITEM_OVERDUE, event.aggregate_id, str(event.item_id)
                )
            case c.ContactLogged():
                await insert_record(
                    conn,
                    self.t["contacts"],
                    event,
                    {
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "party_kind": event.party_kind,
                        "party": event.party,
                        "contact_date": event.contact_date,
                        "summary": event.summary,
                        "customer_id": event.customer_id,
                        "logged_by": event.by,
                    },
                )
