"""The projects an approved application opens (REGULATIONS §3): each with its team, its
milestones and health, and its closing; and the deadline of each open milestone, which the
project's own events arm and clear. The project's row says whether an event is news; its
members and milestones follow that verdict."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
    update_record,
)
from bizdev_common.scheduler import clear_deadline, clear_deadlines, set_deadlines

from bizdev_projects import published
from bizdev_projects.domain import MILESTONE_OVERDUE, ProjectState, milestone_due_at


class Projects(Projection):
    name = "projects"
    tables = ("projects", "team_members", "milestones")
    ddl = [
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
        "CREATE INDEX IF NOT EXISTS milestones_project "
        "ON {schema}.milestones (project_id, due_date)",
        "CREATE INDEX IF NOT EXISTS milestones_status ON {schema}.milestones (status, due_date)",
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ProjectOpened():
                await self._opened(conn, event)
            case published.TeamLeadAppointed():
                await self._team_lead_appointed(conn, event)
            case published.TeamMemberAdded():
                await self._member_added(conn, event)
            case published.TeamMemberResponsibilitiesChanged():
                await self._responsibilities_changed(conn, event)
            case published.TeamMemberRemoved():
                await self._member_removed(conn, event)
            case published.MilestonesScheduled():
                await self._scheduled(conn, event)
            case published.MilestoneProgressRecorded():
                await self._progress(conn, event)
            case published.MilestoneCompleted():
                await self._completed(conn, event)
            case published.MilestoneOverdue():
                await self._overdue(conn, event)
            case published.ProjectHealthChanged():
                await self._health(conn, event)
            case published.ProjectClosed():
                await self._closed(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.ProjectOpened) -> None:
        await put_record(
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

    async def _team_lead_appointed(
        self, conn: ViewConnection, event: published.TeamLeadAppointed
    ) -> None:
        if not await update_record(conn, self.t["projects"], event, {"team_lead": event.team_lead}):
            return
        members = self.t["team_members"]
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

    async def _member_added(self, conn: ViewConnection, event: published.TeamMemberAdded) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"INSERT INTO {self.t['team_members']} (project_id, user_id, responsibilities, "
            "is_lead, joined_at) VALUES ($1, $2, $3, false, $4) "
            "ON CONFLICT (project_id, user_id) DO NOTHING",
            event.aggregate_id,
            event.member,
            event.responsibilities,
            event.occurred_at,
        )

    async def _responsibilities_changed(
        self, conn: ViewConnection, event: published.TeamMemberResponsibilitiesChanged
    ) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['team_members']} SET responsibilities = $3 "
            "WHERE project_id = $1 AND user_id = $2",
            event.aggregate_id,
            event.member,
            event.responsibilities,
        )

    async def _member_removed(
        self, conn: ViewConnection, event: published.TeamMemberRemoved
    ) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"DELETE FROM {self.t['team_members']} WHERE project_id = $1 AND user_id = $2",
            event.aggregate_id,
            event.member,
        )

    async def _scheduled(self, conn: ViewConnection, event: published.MilestonesScheduled) -> None:
        """The approved revision's milestones replace the project's (re-planning): a kept one
        keeps its progress and is open again when its date moved, a dropped one goes, and
        the deadline of each open milestone whose date is new is (re-)armed. One statement
        writes them and answers which deadlines to clear and to arm, from the rows as they
        were before it."""
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        milestones = self.t["milestones"]
        changed = await conn.fetch(
            f"WITH before AS (SELECT id, due_date, status FROM {milestones} "
            "WHERE project_id = $1), "
            "scheduled AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::date[], "
            "$5::text[]) AS s (id, name, due_date, owner)), "
            f"dropped AS (DELETE FROM {milestones} WHERE project_id = $1 "
            "AND id <> ALL($2::uuid[]) RETURNING id), "
            f"written AS (INSERT INTO {milestones} AS m (id, project_id, project_name, "
            "department, name, due_date, owner, percent, status, created_at, updated_at) "
            "SELECT id, $1::uuid, $6::text, $7::text, name, due_date, owner, 0, 'open', "
            "$8::timestamptz, $8::timestamptz FROM scheduled "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, owner = EXCLUDED.owner, "
            "due_date = EXCLUDED.due_date, updated_at = EXCLUDED.updated_at, "
            "status = CASE WHEN m.status = 'overdue' AND m.due_date <> EXCLUDED.due_date "
            "THEN 'open' ELSE m.status END, "
            "overdue_at = CASE WHEN m.due_date <> EXCLUDED.due_date THEN NULL "
            "ELSE m.overdue_at END) "
            "SELECT id, NULL::date AS due_date FROM dropped "
            "UNION ALL SELECT s.id, s.due_date FROM scheduled s LEFT JOIN before b ON b.id = s.id "
            "WHERE b.id IS NULL OR (b.status <> 'done' AND b.due_date <> s.due_date)",
            event.aggregate_id,
            [m.id for m in event.milestones],
            [m.name for m in event.milestones],
            [m.due_date for m in event.milestones],
            [m.owner for m in event.milestones],
            event.project_name,
            event.department,
            event.occurred_at,
        )
        for r in changed:
            if r["due_date"] is None:
                await clear_deadline(
                    conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id, str(r["id"])
                )
        await set_deadlines(
            conn,
            self.schema,
            MILESTONE_OVERDUE,
            event.aggregate_id,
            {str(r["id"]): milestone_due_at(r["due_date"]) for r in changed if r["due_date"]},
        )

    async def _progress(
        self, conn: ViewConnection, event: published.MilestoneProgressRecorded
    ) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['milestones']} SET percent = $2, updated_at = $3 WHERE id = $1",
            event.milestone_id,
            event.percent,
            event.occurred_at,
        )

    async def _completed(self, conn: ViewConnection, event: published.MilestoneCompleted) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['milestones']} SET percent = 100, status = 'done', "
            "completed_on = $2, late = $3, updated_at = $4 WHERE id = $1",
            event.milestone_id,
            event.completed_on,
            event.late,
            event.occurred_at,
        )
        await clear_deadline(
            conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id, str(event.milestone_id)
        )

    async def _overdue(self, conn: ViewConnection, event: published.MilestoneOverdue) -> None:
        if not await update_record(conn, self.t["projects"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['milestones']} SET status = 'overdue', overdue_at = $2, "
            "updated_at = $3 WHERE id = $1",
            event.milestone_id,
            event.detected_at,
            event.occurred_at,
        )
        # Reported: nothing is left for the deadline to do, even when a rebuild of this view
        # re-arms it from the milestone's scheduling.
        await clear_deadline(
            conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id, str(event.milestone_id)
        )

    async def _health(self, conn: ViewConnection, event: published.ProjectHealthChanged) -> None:
        await change_record(
            conn, self.t["projects"], event, {"health": event.health, "health_note": event.note}
        )

    async def _closed(self, conn: ViewConnection, event: published.ProjectClosed) -> None:
        # What the project's plan, deviations and meetings leave open, their own families
        # settle (projections._common).
        if await update_record(
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
        ):
            await clear_deadlines(conn, self.schema, MILESTONE_OVERDUE, event.aggregate_id)
