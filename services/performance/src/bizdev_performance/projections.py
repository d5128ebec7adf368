"""Read models of the performance service.

`views`, from its own topic: the organisation, indicators, targets, market shares, cycles and
evaluations (numbers only), decisions, lead rewards, and the inbox. `actuals`, from the crm,
finance and projects topics: one fact per upstream event that moves an indicator (a contract
signed, revenue recorded, an expense posted, a customer's satisfaction), the complaints'
owners, the projects' departments and teams, and which customers each person dealt with.
Attainment is not stored: it is read from targets and facts together (attainment.py), so it
is always as current as the facts.

Every write is guarded by the record's version or keyed by the upstream event, so an event
applied twice changes nothing."""

from __future__ import annotations

import json
from datetime import date

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import company_day, end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, insert_record, insert_row, update_record
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_performance import contract as c
from bizdev_performance import upstream as u
from bizdev_performance.domain import STEP_ACKNOWLEDGEMENT, STEP_FEEDBACK
from bizdev_performance.domain.values import EvaluationState, Measure, period_bounds
from bizdev_performance.reactions import STEP_DUE

INBOX_KINDS = [
    "rating_to_give",
    "cycle_to_finalize",
    "feedback_to_deliver",
    "feedback_to_acknowledge",
    "step_overdue",
    "lead_reward_to_approve",
]
"""What waits on someone in performance (GET /inbox `kind`)."""

HR = inbox.WaitsOn(role=Role.HR)

VIEWS_DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.people (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        user_id text NOT NULL UNIQUE,
        department text NOT NULL,
        position text NOT NULL,
        supervisor text,
        joined_on date NOT NULL,
        left_on date,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS people_supervisor ON {schema}.people (supervisor)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.departments (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        department text NOT NULL UNIQUE,
        head text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.indicators (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        measure text NOT NULL,
        unit text NOT NULL,
        direction text NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.targets (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        indicator_id uuid NOT NULL,
        subject_kind text NOT NULL,
        subject text NOT NULL,
        subject_department text,
        period text NOT NULL,
        first_day date NOT NULL,
        last_day date NOT NULL,
        value numeric NOT NULL,
        set_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.market_shares (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        subject_kind text NOT NULL,
        subject text NOT NULL,
        period text NOT NULL,
        percent numeric NOT NULL,
        source text NOT NULL,
        recorded_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.cycles (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        period text NOT NULL,
        first_day date NOT NULL,
        last_day date NOT NULL,
        ratings_due date NOT NULL,
        finalize_due date NOT NULL,
        feedback_due date NOT NULL,
        weights jsonb NOT NULL,
        ratings_weight numeric NOT NULL,
        standard numeric NOT NULL,
        excellence numeric NOT NULL,
        population int NOT NULL,
        state text NOT NULL,
        opened_by text NOT NULL,
        finalized_by text,
        below_standard int,
        high_performers int,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.evaluations (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        cycle_id uuid NOT NULL,
        period text NOT NULL,
        person text NOT NULL,
        department text NOT NULL,
        supervisor text,
        raters jsonb NOT NULL,
        state text NOT NULL,
        ratings int NOT NULL DEFAULT 0,
        score numeric,
        quantitative numeric,
        qualitative numeric,
        attainments jsonb,
        below_standard boolean,
        high_performer boolean,
        finalized_on date,
        feedback_by text,
        standing numeric GENERATED ALWAYS AS (coalesce(score, -1)) STORED,
        ratings_due date NOT NULL,
        feedback_due date NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS evaluations_cycle ON {schema}.evaluations (cycle_id, score)",
    "CREATE INDEX IF NOT EXISTS evaluations_person ON {schema}.evaluations (person)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.files (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        person text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.decisions (
        id uuid PRIMARY KEY,
        file_id uuid NOT NULL,
        person text NOT NULL,
        category text NOT NULL,
        kind text NOT NULL,
        bonus_amount numeric,
        bonus_currency text,
        title text,
        measures jsonb,
        until date,
        plan_id uuid,
        cycle_id uuid NOT NULL,
        evaluation_id uuid NOT NULL,
        score numeric,
        decided_by text NOT NULL,
        decided_at timestamptz NOT NULL,
        department text
    )
    """,
    "CREATE INDEX IF NOT EXISTS decisions_person ON {schema}.decisions (person, decided_at)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.lead_rewards (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        finder text NOT NULL,
        department text,
        project_id uuid,
        state text NOT NULL,
        amount_amount numeric NOT NULL,
        amount_currency text NOT NULL,
        policy text,
        expected_revenue_amount numeric,
        expected_revenue_currency text,
        approved_by text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    *inbox.DDL,
]


class PerformanceViews(Projection):
    name = "views"
    tables = (
        "people",
        "departments",
        "indicators",
        "targets",
        "market_shares",
        "cycles",
        "evaluations",
        "files",
        "decisions",
        "lead_rewards",
        inbox.TABLE,
    )
    ddl = VIEWS_DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case c.PersonJoined() | c.PersonMoved() | c.SupervisorAssigned() | c.PersonLeft():
                await self._person(conn, event)
            case c.DepartmentEstablished():
                await insert_record(
                    conn,
                    self.t["departments"],
                    event,
                    {"department": event.department, "head": event.head},
                )
            case c.DepartmentHeadAppointed():
                await update_record(conn, self.t["departments"], event, {"head": event.head})
            case c.IndicatorDefined():
                await insert_record(
                    conn,
                    self.t["indicators"],
                    event,
                    {
                        "name": event.name,
                        "kind": event.kind,
                        "measure": event.measure,
                        "unit": event.unit,
                        "direction": event.direction,
                        "description": event.description,
                    },
                )
            case c.TargetSet():
                first, last = period_bounds(event.period)
                await insert_record(
                    conn,
                    self.t["targets"],
                    event,
                    {
                        "indicator_id": event.indicator_id,
                        "subject_kind": event.subject_kind,
                        "subject": event.subject,
                        "subject_department": event.subject_department,
                        "period": event.period,
                        "first_day": first,
                        "last_day": last,
                        "value": event.value,
                        "set_by": event.by,
                    },
                )
            case c.TargetRevised():
                await update_record(
                    conn, self.t["targets"], event, {"value": event.value, "set_by": event.by}
                )
            case c.MarketShareRecorded():
                await insert_record(
                    conn,
                    self.t["market_shares"],
                    event,
                    {
                        "subject_kind": event.subject_kind,
                        "subject": event.subject,
                        "period": event.period,
                        "percent": event.percent,
                        "source": event.source,
                        "recorded_by": event.by,
                    },
                )
            case c.CycleOpened() | c.CycleFinalized():
                await self._cycle(conn, event)
            case (
                c.EvaluationOpened()
                | c.RatingRecorded()
                | c.EvaluationFinalized()
                | c.FeedbackDelivered()
                | c.FeedbackAcknowledged()
                | c.EvaluationStepOverdue()
            ):
                await self._evaluation(conn, event)
            case c.IncentiveGranted() | c.ImprovementPlanStarted() | c.SanctionApplied():
                await self._decision(conn, event)
            case c.LeadRewardHeld() | c.LeadRewardGranted():
                await self._lead_reward(conn, event)

    async def _person(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        people = self.t["people"]
        match event:
            case c.PersonJoined():
                await insert_record(
                    conn,
                    people,
                    event,
                    {
                        "user_id": event.user_id,
                        "department": event.department,
                        "position": event.position,
                        "supervisor": event.supervisor,
                        "joined_on": event.joined_on,
                    },
                )
            case c.PersonMoved():
                await update_record(
                    conn,
                    people,
                    event,
                    {"department": event.department, "position": event.position},
                )
            case c.SupervisorAssigned():
                await update_record(conn, people, event, {"supervisor": event.supervisor})
            case c.PersonLeft():
                await update_record(
                    conn, people, event, {"left_on": event.left_on, "active": False}
                )

    async def _cycle(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        cycles = self.t["cycles"]
        if isinstance(event, c.CycleOpened):
            if await insert_record(
                conn,
                cycles,
                event,
                {
                    "name": event.name,
                    "kind": event.kind,
                    "period": event.period,
                    "first_day": event.first_day,
                    "last_day": event.last_day,
                    "ratings_due": event.ratings_due,
                    "finalize_due": event.finalize_due,
                    "feedback_due": event.feedback_due,
                    "weights": json.dumps({k: format(v, "f") for k, v in event.weights.items()}),
                    "ratings_weight": event.ratings_weight,
                    "standard": event.standard,
                    "excellence": event.excellence,
                    "population": len(event.population),
                    "state": "open",
                    "opened_by": event.by,
                },
            ):
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="cycle_to_finalize",
                    title=f"Finalize the cycle {event.name} ({event.period})"[:200],
                    waiting_on=HR,
                    link=f"/cycles/{event.aggregate_id}/finalize",
                    due_at=end_of(event.finalize_due),
                )
        elif isinstance(event, c.CycleFinalized) and await update_record(
            conn,
            cycles,
            event,
            {
                "state": "finalized",
                "finalized_by": event.by,
                "below_standard": event.below_standard,
                "high_performers": event.high_performers,
            },
        ):
            await inbox.close(conn, self.schema, event, kind="cycle_to_finalize")

    async def _evaluation(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        evaluations = self.t["evaluations"]
        link = f"/evaluations/{event.aggregate_id}"
        match event:
            case c.EvaluationOpened():
                if not await insert_record(
                    conn,
                    evaluations,
                    event,
                    {
                        "cycle_id": event.cycle_id,
                        "period": event.period,
                        "person": event.person,
                        "department": event.department,
                        "supervisor": event.supervisor,
                        "raters": json.dumps(event.raters),
                        "state": EvaluationState.OPEN.value,
                        "ratings_due": event.ratings_due,
                        "feedback_due": event.feedback_due,
                    },
                ):
                    return
                for rater in sorted(event.raters):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="rating_to_give",
                        item=rater,
                        title=f"Rate {event.person} ({event.period})",
                        waiting_on=inbox.person(rater),
                        link=f"{link}/ratings",
                        due_at=end_of(event.ratings_due),
                    )
                await set_deadline(
                    conn,
                    self.schema,
                    STEP_DUE,
                    event.aggregate_id,
                    end_of(event.feedback_due),
                    STEP_FEEDBACK,
                )
            case c.RatingRecorded():
                if await update_record(conn, evaluations, event, {}):
                    await conn.execute(
                        f"UPDATE {evaluations} SET ratings = ratings + 1 WHERE id = $1",
                        event.aggregate_id,
                    )
                    await inbox.close(
                        conn, self.schema, event, kind="rating_to_give", item=event.rater
                    )
            case c.EvaluationFinalized():
                if not await update_record(
                    conn,
                    evaluations,
                    event,
                    {
                        "state": EvaluationState.FINALIZED.value,
                        "score": event.score,
                        "quantitative": event.quantitative,
                        "qualitative": event.qualitative,
                        "attainments": json.dumps(
                            {
                                k: None if v is None else format(v, "f")
                                for k, v in event.attainments.items()
                            }
                        ),
                        "below_standard": event.below_standard,
                        "high_performer": event.high_performer,
                        "finalized_on": event.finalized_on,
                    },
                ):
                    return
                # Ratings not given are no longer awaited: the scores are frozen.
                await conn.execute(
                    f"UPDATE {self.t['inbox']} SET state = $3, version = $4, updated_at = $5 "
                    "WHERE record_id = $1 AND kind = $2 AND version < $4",
                    event.aggregate_id,
                    "rating_to_give",
                    inbox.DONE,
                    event.version,
                    event.occurred_at,
                )
                row = await conn.fetchrow(
                    f"SELECT supervisor, feedback_due FROM {evaluations} WHERE id = $1",
                    event.aggregate_id,
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="feedback_to_deliver",
                    title=f"Feed back {event.person}'s result ({event.period})",
                    waiting_on=HR if row["supervisor"] is None else inbox.person(row["supervisor"]),
                    link=f"{link}/feedback",
                    due_at=end_of(row["feedback_due"]),
                )
            case c.FeedbackDelivered():
                if not await update_record(
                    conn,
                    evaluations,
                    event,
                    {"state": EvaluationState.FEEDBACK_DELIVERED.value, "feedback_by": event.by},
                ):
                    return
                await inbox.close(conn, self.schema, event, kind="feedback_to_deliver")
                await inbox.close(conn, self.schema, event, kind="step_overdue", item=STEP_FEEDBACK)
                await clear_deadline(conn, self.schema, STEP_DUE, event.aggregate_id, STEP_FEEDBACK)
                await set_deadline(
                    conn,
                    self.schema,
                    STEP_DUE,
                    event.aggregate_id,
                    end_of(event.acknowledge_by),
                    STEP_ACKNOWLEDGEMENT,
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="feedback_to_acknowledge",
                    title=f"Acknowledge your feedback ({event.cycle_id})",
                    waiting_on=inbox.person(event.person),
                    link=f"{link}/acknowledge",
                    due_at=end_of(event.acknowledge_by),
                )
            case c.FeedbackAcknowledged():
                if await update_record(
                    conn, evaluations, event, {"state": EvaluationState.ACKNOWLEDGED.value}
                ):
                    await inbox.close(conn, self.schema, event, kind="feedback_to_acknowledge")
                    await inbox.close(
                        conn, self.schema, event, kind="step_overdue", item=STEP_ACKNOWLEDGEMENT
                    )
                    await clear_deadline(
                        conn, self.schema, STEP_DUE, event.aggregate_id, STEP_ACKNOWLEDGEMENT
                    )
            case c.EvaluationStepOverdue():
                if await update_record(conn, evaluations, event, {}):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="step_overdue",
                        item=event.step,
                        title=f"Overdue: {event.step} of {event.person}'s evaluation, due "
                        f"{event.due_on}, waiting on {event.waiting_on or 'hr'}"[:200],
                        waiting_on=HR,
                        link=link,
                        due_at=end_of(event.due_on),
                    )

    async def _decision(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        files = self.t["files"]
        assert isinstance(event, c.IncentiveGranted | c.ImprovementPlanStarted | c.SanctionApplied)
        person = event.person
        await conn.execute(
            f"INSERT INTO {files} AS f (id, version, person, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO UPDATE SET version = "
            "EXCLUDED.version, updated_at = EXCLUDED.updated_at WHERE f.version < EXCLUDED.version",
            event.aggregate_id,
            event.version,
            person,
            event.occurred_at,
        )
        row: dict[str, object] = {
            "file_id": event.aggregate_id,
            "person": person,
            "cycle_id": event.cycle_id,
            "evaluation_id": event.evaluation_id,
            "score": event.score,
            "decided_by": event.by,
            "decided_at": event.occurred_at,
            "department": event.department,
        }
        match event:
            case c.IncentiveGranted():
                row |= {
                    "id": event.decision_id,
                    "category": "incentive",
                    "kind": event.kind,
                    "bonus_amount": None if event.bonus is None else event.bonus.amount,
                    "bonus_currency": None if event.bonus is None else event.bonus.currency,
                    "title": event.title,
                }
            case c.ImprovementPlanStarted():
                row |= {
                    "id": event.plan_id,
                    "category": "improvement_plan",
                    "kind": "improvement_plan",
                    "measures": json.dumps(event.measures),
                    "until": event.until,
                }
            case c.SanctionApplied():
                row |= {
                    "id": event.decision_id,
                    "category": "sanction",
                    "kind": event.kind,
                    "plan_id": event.plan_id,
                }
        await insert_row(conn, self.t["decisions"], row)

    async def _lead_reward(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        rewards = self.t["lead_rewards"]
        match event:
            case c.LeadRewardHeld():
                if await insert_record(
                    conn,
                    rewards,
                    event,
                    {
                        "finder": event.finder,
                        "department": event.department,
                        "state": "held",
                        "amount_amount": event.amount.amount,
                        "amount_currency": event.amount.currency,
                    },
                ):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="lead_reward_to_approve",
                        title=f"Lead reward of {event.amount.amount} {event.amount.currency} "
                        f"for {event.finder} to approve"[:200],
                        waiting_on=HR,
                        link=f"/lead-rewards/{event.aggregate_id}/approve",
                    )
            case c.LeadRewardGranted():
                values = {
                    "finder": event.finder,
                    "department": event.department,
                    "project_id": event.project_id,
                    "state": "granted",
                    "amount_amount": event.amount.amount,
                    "amount_currency": event.amount.currency,
                    "policy": event.policy,
                    "expected_revenue_amount": None
                    if event.expected_revenue is None
                    else event.expected_revenue.amount,
                    "expected_revenue_currency": None
                    if event.expected_revenue is None
                    else event.expected_revenue.currency,
                    "approved_by": event.by,
                }
                if await insert_record(conn, rewards, event, values):
                    await inbox.close(conn, self.schema, event, kind="lead_reward_to_approve")


ACTUALS_DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.facts (
        source text PRIMARY KEY,
        measure text NOT NULL,
        day date NOT NULL,
        person text,
        department text,
        project_id uuid,
        customer_id uuid,
        amount numeric NOT NULL,
        currency text
    )
    """,
    "CREATE INDEX IF NOT EXISTS facts_person ON {schema}.facts (measure, person, day)",
    "CREATE INDEX IF NOT EXISTS facts_project ON {schema}.facts (measure, project_id, day)",
    "CREATE INDEX IF NOT EXISTS facts_day ON {schema}.facts (measure, day)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.complaint_owners (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        owner text NOT NULL,
        department text NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.projects (
        id uuid PRIMARY KEY,
        name text,
        department text NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.team_members (
        project_id uuid NOT NULL,
        member text NOT NULL,
        lead boolean NOT NULL DEFAULT false,
        active boolean NOT NULL DEFAULT true,
        version int NOT NULL,
        PRIMARY KEY (project_id, member)
    )
    """,
    "CREATE INDEX IF NOT EXISTS team_members_member ON {schema}.team_members (member)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.customers_served (
        person text NOT NULL,
        customer_id uuid NOT NULL,
        PRIMARY KEY (person, customer_id)
    )
    """,
]


class ActualsViews(Projection):
    """The facts indicators are measured from, read from the other services' topics."""

    name = "actuals"
    tables = ("facts", "complaint_owners", "projects", "team_members", "customers_served")
    ddl = ACTUALS_DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [u.CRM, u.FINANCE, u.TEAMS])

    async def _fact(
        self,
        conn: asyncpg.Connection,
        source: str,
        measure: Measure,
        **values: object,
    ) -> None:
        await insert_row(
            conn, self.t["facts"], {"source": source, "measure": measure.value, **values}
        )

    async def _served(self, conn: asyncpg.Connection, person: str | None, customer: object) -> None:
        if person:
            await insert_row(
                conn, self.t["customers_served"], {"person": person, "customer_id": customer}
            )

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case u.ContractSigned():
                await self._fact(
                    conn,
                    f"contract:{event.aggregate_id}",
                    Measure.CONTRACT_VALUE,
                    day=event.signed_on,
                    person=event.salesperson,
                    department=event.department,
                    project_id=event.project_id,
                    customer_id=event.customer_id,
                    amount=event.value.amount,
                    currency=event.value.currency,
                )
                await self._served(conn, event.salesperson, event.customer_id)
            case u.ContractTerminated(signed_on=date()):
                # A signed contract ended before completion was no sale after all; its
                # invoices (revenue) stay what finance recorded.
                await conn.execute(
                    f"DELETE FROM {self.t['facts']} WHERE source = $1",
                    f"contract:{event.aggregate_id}",
                )
            case u.RevenueRecorded():
                common = {
                    "day": event.issued_on,
                    "department": event.department,
                    "project_id": event.project_id,
                    "customer_id": event.customer_id,
                    "amount": event.amount.amount,
                    "currency": event.amount.currency,
                }
                await self._fact(
                    conn,
                    f"revenue:{event.invoice_id}",
                    Measure.REVENUE,
                    person=event.salesperson,
                    **common,
                )
                # Profit is a project's (and its team's and department's), not a person's.
                await self._fact(conn, f"profit:{event.invoice_id}", Measure.PROFIT, **common)
            case u.ExpensePosted():
                await self._fact(
                    conn,
                    f"profit:{event.expense_id}",
                    Measure.PROFIT,
                    # Posted when paid: an actual cost from that day.
                    day=event.paid_on or event.spent_on,
                    project_id=event.project_id,
                    amount=-event.amount.amount,
                    currency=event.amount.currency,
                )
            case u.FollowUpRecorded():
                await self._fact(
                    conn,
                    f"satisfaction:{event.aggregate_id}/{event.version}",
                    Measure.SATISFACTION,
                    day=event.visited_on,
                    person=event.by,
                    customer_id=event.customer_id,
                    amount=event.satisfaction,
                )
                await self._served(conn, event.by, event.customer_id)
            case u.ComplaintAssigned():
                await conn.execute(
                    f"INSERT INTO {self.t['complaint_owners']} AS o (id, version, owner, "
                    "department) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
                    "version = EXCLUDED.version, owner = EXCLUDED.owner, department = "
                    "EXCLUDED.department WHERE o.version < EXCLUDED.version",
                    event.aggregate_id,
                    event.version,
                    event.owner,
                    event.department,
                )
            case u.ComplaintClosed():
                # The complaint's events share its partition: its owner is known by now.
                owner = await conn.fetchval(
                    f"SELECT owner FROM {self.t['complaint_owners']} WHERE id = $1",
                    event.aggregate_id,
                )
                await self._fact(
                    conn,
                    f"satisfaction:{event.aggregate_id}/{event.version}",
                    Measure.SATISFACTION,
                    day=event.confirmed_on or company_day(event.occurred_at),
                    person=owner,
                    department=event.department,
                    customer_id=event.customer_id,
                    amount=event.satisfaction,
                )
                await self._served(conn, owner, event.customer_id)
            case u.ProjectOpened():
                await self._project(conn, event.aggregate_id, event.name, event.department)
            case u.TeamLeadAppointed():
                await self._project(conn, event.aggregate_id, event.project_name, event.department)
                await self._member(conn, event, event.team_lead, lead=True, active=True)
            case u.TeamMemberAdded():
                await self._member(conn, event, event.member, lead=False, active=True)
            case u.TeamMemberRemoved():
                await self._member(conn, event, event.member, lead=False, active=False)

    async def _project(
        self, conn: asyncpg.Connection, project_id: object, name: str, department: str
    ) -> None:
        await conn.execute(
            f"INSERT INTO {self.t['projects']} (id, name, department) VALUES ($1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department",
            project_id,
            name,
            department,
        )

    async def _member(
        self, conn: asyncpg.Connection, event: PublicEvent, member: str, *, lead: bool, active: bool
    ) -> None:
        members = self.t["team_members"]
        if lead:
            # One lead at a time: the one replaced stays a member.
            await conn.execute(
                f"UPDATE {members} SET lead = false, version = $2 "
                "WHERE project_id = $1 AND lead AND version < $2",
                event.aggregate_id,
                event.version,
            )
        await conn.execute(
            f"INSERT INTO {members} AS m (project_id, member, lead, active, version) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, member) DO UPDATE SET "
            "lead = EXCLUDED.lead OR (m.lead AND EXCLUDED.active), active = EXCLUDED.active, "
            "version = EXCLUDED.version WHERE m.version < EXCLUDED.version",
            event.aggregate_id,
            member,
            lead,
            active,
            event.version,
        )
