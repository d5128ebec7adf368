"""Read models of the crm service, fed by its own topic: the lists, the customer 360° view,
the complaint queue and counts. Each record's row keeps its version, for read-your-writes;
rows of a record's parts (proposals, dealings, invitations) move their record's version too,
and are written only when the event is newer than that record's row: a redelivered or older
event changes nothing (bizdev_common.projector).

No personal data is here: contact persons appear by id only, since the topic carries no
more; queries that show them open the sealed values from the event store (api.py).

The views also arm the deadlines in the same transaction (bizdev_common.scheduler): each
complaint's response and resolution deadlines, re-armed for the next escalation level and
disarmed when met; each corrective action's due date; each customer's next visit. And they
keep the inbox (bizdev_common.inbox): what waits on whom, from the same events."""

from __future__ import annotations

from datetime import date

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    insert_record,
    insert_row,
    update_record,
    update_row,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_crm import contract as c
from bizdev_crm.domain import (
    ComplaintState,
    ContractState,
    CustomerEventState,
    CustomerStatus,
    FollowUpState,
)
from bizdev_crm.reactions import (
    COMPLAINT_RESOLUTION,
    COMPLAINT_RESPONSE,
    CORRECTIVE_ACTION,
    CUSTOMER_VISIT,
)

INBOX_KINDS = [
    "complaint_to_assign",
    "complaint_to_answer",
    "complaint_to_resolve",
    "complaint_to_close",
    "complaint_escalated",
    "corrective_action_due",
    "follow_up_visit_due",
    "customer_visit_overdue",
    "contract_to_sign",
]
"""What waits on someone in crm (GET /inbox `kind`)."""

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.customers (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        name text NOT NULL,
        industry text NOT NULL,
        channel text NOT NULL,
        owner text NOT NULL,
        department text NOT NULL,
        address text NOT NULL,
        needs text NOT NULL,
        preferences text NOT NULL,
        contact_ids uuid[] NOT NULL DEFAULT '{{}}',
        personal_data_erased boolean NOT NULL DEFAULT false,
        erased_at timestamptz,
        status text NOT NULL DEFAULT 'prospect',
        status_reason text,
        last_visited_on date,
        next_visit_due_on date,
        visit_overdue_since date,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.proposals (
        id uuid PRIMARY KEY,
        customer_id uuid NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        value_amount numeric NOT NULL,
        value_currency text NOT NULL,
        offered_by text NOT NULL,
        offered_at timestamptz NOT NULL,
        outcome text,
        outcome_notes text,
        decided_by text,
        decided_at timestamptz
    )
    """,
    "CREATE INDEX IF NOT EXISTS proposals_customer ON {schema}.proposals (customer_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.dealings (
        customer_id uuid NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        application_id uuid NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (customer_id, project_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.follow_ups (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        customer_id uuid NOT NULL,
        department text NOT NULL,
        visitor text NOT NULL,
        scheduled_by text NOT NULL,
        due_on date NOT NULL,
        purpose text NOT NULL,
        state text NOT NULL,
        visited_on date,
        satisfaction int,
        notes text,
        cancel_reason text,
        recorded_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS follow_ups_due ON {schema}.follow_ups (state, due_on)",
    "CREATE INDEX IF NOT EXISTS follow_ups_customer ON {schema}.follow_ups (customer_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.customer_events (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        held_on date NOT NULL,
        venue text NOT NULL,
        organiser text NOT NULL,
        department text NOT NULL,
        state text NOT NULL,
        cancel_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.event_invitations (
        event_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        attended boolean,
        invited_at timestamptz NOT NULL,
        PRIMARY KEY (event_id, customer_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS invitations_customer ON {schema}.event_invitations (customer_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.complaints (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        customer_id uuid NOT NULL,
        department text NOT NULL,
        contact_id uuid,
        channel text NOT NULL,
        severity text NOT NULL,
        subject text NOT NULL,
        description text NOT NULL,
        state text NOT NULL,
        received_by text NOT NULL,
        received_at timestamptz NOT NULL,
        response_due_at timestamptz NOT NULL,
        owner text,
        responded_at timestamptz,
        escalated boolean NOT NULL DEFAULT false,
        escalated_at timestamptz,
        resolution_due_at timestamptz,
        response_escalation_level int NOT NULL DEFAULT 0,
        resolution_escalation_level int NOT NULL DEFAULT 0,
        proposal text,
        rounds int NOT NULL DEFAULT 0,
        resolution text,
        cause text,
        root_cause text,
        corrective_action text,
        satisfaction int,
        confirmed_by text,
        confirmation_channel text,
        confirmed_on date,
        confirmed_with uuid,
        closed_by text,
        closed_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.corrective_actions (
        id uuid PRIMARY KEY,
        complaint_id uuid NOT NULL,
        description text NOT NULL,
        owner text NOT NULL,
        due_on date NOT NULL,
        added_by text NOT NULL,
        added_at timestamptz NOT NULL,
        done_on date,
        outcome text,
        overdue boolean NOT NULL DEFAULT false
    )
    """,
    "CREATE INDEX IF NOT EXISTS actions_complaint ON {schema}.corrective_actions (complaint_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.contracts (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        number text NOT NULL,
        title text NOT NULL,
        value_amount numeric NOT NULL,
        value_currency text NOT NULL,
        customer_id uuid NOT NULL,
        department text NOT NULL,
        salesperson text NOT NULL,
        project_id uuid,
        state text NOT NULL,
        drafted_by text NOT NULL,
        signed_on date,
        completed_on date,
        terminated_on date,
        termination_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS contracts_customer ON {schema}.contracts (customer_id)",
    *inbox.DDL,
    "CREATE INDEX IF NOT EXISTS complaints_owner ON {schema}.complaints (owner, state)",
    "CREATE INDEX IF NOT EXISTS complaints_customer ON {schema}.complaints (customer_id)",
    "CREATE INDEX IF NOT EXISTS complaints_received ON {schema}.complaints (received_at)",
]


class CrmViews(Projection):
    name = "views"
    tables = (
        "customers",
        "proposals",
        "dealings",
        "follow_ups",
        "customer_events",
        "event_invitations",
        "complaints",
        "corrective_actions",
        "contracts",
        inbox.TABLE,
    )
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case (
                c.CustomerRegistered()
                | c.CustomerFileUpdated()
                | c.ContactPersonAdded()
                | c.ContactPersonChanged()
                | c.ProposalOffered()
                | c.ProposalOutcomeRecorded()
                | c.DealingRecorded()
                | c.CustomerDataErased()
            ):
                await self._customer(conn, event)
            case (
                c.CustomerStatusChanged()
                | c.CustomerOwnerReassigned()
                | c.CustomerVisited()
                | c.FollowUpOverdue()
            ):
                await self._visit_cycle(conn, event)
            case c.FollowUpScheduled() | c.FollowUpRecorded() | c.FollowUpCancelled():
                await self._follow_up(conn, event)
            case (
                c.CustomerEventPlanned()
                | c.CustomerInvited()
                | c.AttendanceRecorded()
                | c.CustomerEventCancelled()
            ):
                await self._customer_event(conn, event)
            case (
                c.ComplaintReceived()
                | c.ComplaintAssigned()
                | c.ComplaintResponded()
                | c.ComplaintEscalated()
                | c.ComplaintResolved()
                | c.ComplaintReopened()
                | c.ComplaintClosed()
            ):
                await self._complaint(conn, event)
            case (
                c.CorrectiveActionAdded()
                | c.CorrectiveActionCompleted()
                | c.CorrectiveActionOverdue()
            ):
                await self._corrective_action(conn, event)
            case (
                c.ContractDrafted()
                | c.ContractSigned()
                | c.ContractCompleted()
                | c.ContractTerminated()
            ):
                await self._contract(conn, event)

    async def _customer(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        customers = self.t["customers"]
        match event:
            case c.CustomerRegistered():
                created = await insert_record(
                    conn,
                    customers,
                    event,
                    event.model_dump(
                        include={
                            "name",
                            "industry",
                            "channel",
                            "owner",
                            "department",
                            "address",
                            "needs",
                            "preferences",
                            "status",
                            "next_visit_due_on",
                        }
                    ),
                )
                if created:
                    await self._arm_visit(conn, event, event.next_visit_due_on)
            case c.CustomerFileUpdated():
                await update_record(
                    conn,
                    customers,
                    event,
                    event.model_dump(
                        include={"name", "industry", "address", "needs", "preferences"}
                    ),
                )
            case c.ContactPersonAdded():
                await conn.execute(
                    f"UPDATE {customers} SET contact_ids = array_append(contact_ids, $2), "
                    "version = $3, updated_at = $4 WHERE id = $1 AND version < $3",
                    event.aggregate_id,
                    event.contact_id,
                    event.version,
                    event.occurred_at,
                )
            case c.ContactPersonChanged():
                await update_record(conn, customers, event, {})
            case c.ProposalOffered():
                if await update_record(conn, customers, event, {}):
                    await insert_row(
                        conn,
                        self.t["proposals"],
                        {
                            "id": event.proposal_id,
                            "customer_id": event.aggregate_id,
                            "title": event.title,
                            "description": event.description,
                            "value_amount": event.value.amount,
                            "value_currency": event.value.currency,
                            "offered_by": event.by,
                            "offered_at": event.occurred_at,
                        },
                    )
            case c.ProposalOutcomeRecorded() if await update_record(conn, customers, event, {}):
                await update_row(
                    conn,
                    self.t["proposals"],
                    {"id": event.proposal_id},
                    {
                        "outcome": event.outcome,
                        "outcome_notes": event.notes,
                        "decided_by": event.by,
                        "decided_at": event.occurred_at,
                    },
                )
            case c.DealingRecorded() if await update_record(conn, customers, event, {}):
                await insert_row(
                    conn,
                    self.t["dealings"],
                    {
                        "customer_id": event.aggregate_id,
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "application_id": event.application_id,
                        "recorded_at": event.occurred_at,
                    },
                )
            case c.CustomerDataErased():
                await update_record(
                    conn,
                    customers,
                    event,
                    {"personal_data_erased": True, "erased_at": event.occurred_at},
                )

    async def _follow_up(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        follow_ups = self.t["follow_ups"]
        match event:
            case c.FollowUpScheduled():
                await insert_record(
                    conn,
                    follow_ups,
                    event,
                    {
                        "customer_id": event.customer_id,
                        "department": event.department,
                        "visitor": event.visitor,
                        "scheduled_by": event.by,
                        "due_on": event.due_on,
                        "purpose": event.purpose,
                        "state": FollowUpState.SCHEDULED.value,
                    },
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="follow_up_visit_due",
                    title=f"Follow-up visit: {event.purpose}"[:200],
                    waiting_on=inbox.person(event.visitor),
                    link=f"/follow-ups/{event.aggregate_id}/outcome",
                    due_at=end_of(event.due_on),
                )
            case c.FollowUpRecorded() | c.FollowUpCancelled():
                await inbox.close_record(conn, self.schema, event)
        match event:
            case c.FollowUpRecorded():
                await update_record(
                    conn,
                    follow_ups,
                    event,
                    {
                        "state": FollowUpState.RECORDED.value,
                        "visited_on": event.visited_on,
                        "satisfaction": event.satisfaction,
                        "notes": event.notes,
                        "recorded_at": event.occurred_at,
                    },
                )
            case c.FollowUpCancelled():
                await update_record(
                    conn,
                    follow_ups,
                    event,
                    {"state": FollowUpState.CANCELLED.value, "cancel_reason": event.reason},
                )

    async def _customer_event(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        events = self.t["customer_events"]
        match event:
            case c.CustomerEventPlanned():
                await insert_record(
                    conn,
                    events,
                    event,
                    {
                        "kind": event.kind,
                        "title": event.title,
                        "held_on": event.held_on,
                        "venue": event.venue,
                        "organiser": event.by,
                        "department": event.department,
                        "state": CustomerEventState.PLANNED.value,
                    },
                )
            case c.CustomerInvited() if await update_record(conn, events, event, {}):
                await insert_row(
                    conn,
                    self.t["event_invitations"],
                    {
                        "event_id": event.aggregate_id,
                        "customer_id": event.customer_id,
                        "invited_at": event.occurred_at,
                    },
                )
            case c.AttendanceRecorded() if await update_record(conn, events, event, {}):
                await update_row(
                    conn,
                    self.t["event_invitations"],
                    {"event_id": event.aggregate_id, "customer_id": event.customer_id},
                    {"attended": event.attended},
                )
            case c.CustomerEventCancelled():
                await update_record(
                    conn,
                    events,
                    event,
                    {"state": CustomerEventState.CANCELLED.value, "cancel_reason": event.reason},
                )

    async def _arm_visit(
        self, conn: asyncpg.Connection, event: PublicEvent, due: date | None
    ) -> None:
        """The customer's next visit: overdue once its due day is over."""
        if due is None:
            await clear_deadline(conn, self.schema, CUSTOMER_VISIT, event.aggregate_id)
        else:
            await set_deadline(conn, self.schema, CUSTOMER_VISIT, event.aggregate_id, end_of(due))

    async def _put_overdue_visit(
        self, conn: asyncpg.Connection, event: PublicEvent, owner: str, since: date, name: str
    ) -> None:
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="customer_visit_overdue",
            title=f"Visit {name}: not visited in its cycle"[:200],
            waiting_on=inbox.person(owner),
            link=f"/customers/{event.aggregate_id}",
            due_at=end_of(since),
        )

    async def _visit_cycle(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        customers = self.t["customers"]
        match event:
            case c.CustomerStatusChanged():
                if await update_record(
                    conn,
                    customers,
                    event,
                    {
                        "status": event.status,
                        "status_reason": event.reason or None,
                        "next_visit_due_on": event.next_visit_due_on,
                    },
                ):
                    await self._arm_visit(conn, event, event.next_visit_due_on)
                    if event.status == CustomerStatus.LOST:
                        await inbox.close(conn, self.schema, event, kind="customer_visit_overdue")
            case c.CustomerOwnerReassigned():
                row = await updated_record(
                    conn, customers, event, {"owner": event.owner}, ["name", "visit_overdue_since"]
                )
                # The new owner is to visit a customer overdue for one.
                if row is not None and row["visit_overdue_since"] is not None:
                    await self._put_overdue_visit(
                        conn, event, event.owner, row["visit_overdue_since"], row["name"]
                    )
            case c.CustomerVisited():
                if await update_record(
                    conn,
                    customers,
                    event,
                    {
                        "last_visited_on": event.visited_on,
                        "next_visit_due_on": event.next_visit_due_on,
                        "visit_overdue_since": None,
                    },
                ):
                    await self._arm_visit(conn, event, event.next_visit_due_on)
                    await inbox.close(conn, self.schema, event, kind="customer_visit_overdue")
            case c.FollowUpOverdue():
                row = await conn.fetchrow(
                    f"UPDATE {customers} SET next_visit_due_on = $2, "
                    "visit_overdue_since = COALESCE(visit_overdue_since, $3), "
                    "version = $4, updated_at = $5 WHERE id = $1 AND version < $4 "
                    "RETURNING name, visit_overdue_since",
                    event.aggregate_id,
                    event.next_visit_due_on,
                    event.due_on,
                    event.version,
                    event.occurred_at,
                )
                if row is not None:
                    await self._arm_visit(conn, event, event.next_visit_due_on)
                    await self._put_overdue_visit(
                        conn, event, event.owner, row["visit_overdue_since"], row["name"]
                    )

    async def _complaint(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        complaints = self.t["complaints"]
        match event:
            case c.ComplaintReceived():
                created = await insert_record(
                    conn,
                    complaints,
                    event,
                    {
                        **event.model_dump(
                            include={
                                "customer_id",
                                "department",
                                "contact_id",
                                "channel",
                                "severity",
                                "subject",
                                "description",
                                "received_at",
                                "response_due_at",
                                "resolution_due_at",
                            }
                        ),
                        "state": ComplaintState.RECEIVED.value,
                        "received_by": event.by,
                    },
                )
                if created:
                    await set_deadline(
                        conn,
                        self.schema,
                        COMPLAINT_RESPONSE,
                        event.aggregate_id,
                        event.response_due_at,
                    )
                    if event.resolution_due_at is not None:
                        await set_deadline(
                            conn,
                            self.schema,
                            COMPLAINT_RESOLUTION,
                            event.aggregate_id,
                            event.resolution_due_at,
                        )
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="complaint_to_assign",
                        title=f"Assign complaint: {event.subject}"[:200],
                        waiting_on=inbox.head_of(event.department),
                        link=f"/complaints/{event.aggregate_id}/assign",
                        due_at=event.response_due_at,
                    )
            case c.ComplaintAssigned():
                row = await conn.fetchrow(
                    f"UPDATE {complaints} SET state = $2, owner = $3, version = $4, "
                    "updated_at = $5 WHERE id = $1 AND version < $4 "
                    "RETURNING subject, response_due_at",
                    event.aggregate_id,
                    ComplaintState.ASSIGNED.value,
                    event.owner,
                    event.version,
                    event.occurred_at,
                )
                if row is not None:
                    await inbox.close(conn, self.schema, event, kind="complaint_to_assign")
                    await self._to_answer(conn, event, event.owner, row)
            case c.ComplaintResponded():
                # The first answer is the one the deadline asked for; later rounds follow a
                # customer not satisfied.
                row = await conn.fetchrow(
                    f"UPDATE {complaints} SET state = $2, proposal = $3, rounds = rounds + 1, "
                    "responded_at = COALESCE(responded_at, $5), version = $4, updated_at = $5 "
                    "WHERE id = $1 AND version < $4 RETURNING subject, owner, resolution_due_at",
                    event.aggregate_id,
                    ComplaintState.RESPONDED.value,
                    event.proposal,
                    event.version,
                    event.occurred_at,
                )
                if row is not None:
                    await clear_deadline(conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id)
                    await self._settle(conn, event, "complaint_to_answer", "response")
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="complaint_to_resolve",
                        title=f"Resolve complaint: {row['subject']}"[:200],
                        waiting_on=inbox.person(row["owner"]),
                        link=f"/complaints/{event.aggregate_id}/resolve",
                        due_at=row["resolution_due_at"],
                    )
            case c.ComplaintEscalated():
                level = (
                    "response_escalation_level"
                    if event.deadline == "response"
                    else "resolution_escalation_level"
                )
                row = await conn.fetchrow(
                    f"UPDATE {complaints} SET escalated = true, "
                    "escalated_at = COALESCE(escalated_at, $2), "
                    f"{level} = $3, version = $4, updated_at = $5 "
                    "WHERE id = $1 AND version < $4 RETURNING subject",
                    event.aggregate_id,
                    event.escalated_at,
                    event.level,
                    event.version,
                    event.occurred_at,
                )
                if row is not None:
                    await self._escalated(conn, event, row["subject"])
            case c.ComplaintResolved():
                if await update_record(
                    conn,
                    complaints,
                    event,
                    {"state": ComplaintState.RESOLVED.value, "resolution": event.resolution},
                ):
                    await clear_deadline(
                        conn, self.schema, COMPLAINT_RESOLUTION, event.aggregate_id
                    )
                    await self._settle(conn, event, "complaint_to_resolve", "resolution")
                    row = await conn.fetchrow(
                        f"SELECT subject, owner FROM {complaints} WHERE id = $1",
                        event.aggregate_id,
                    )
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="complaint_to_close",
                        title=f"Close complaint with its analysis: {row['subject']}"[:200],
                        waiting_on=inbox.person(row["owner"]),
                        link=f"/complaints/{event.aggregate_id}/close",
                    )
            case c.ComplaintReopened():
                values: dict[str, object] = {
                    "state": ComplaintState.ASSIGNED.value,
                    "resolution": None,
                }
                if event.response_due_at is not None:
                    values |= {"response_due_at": event.response_due_at}
                    values |= {"response_escalation_level": 0}
                row = await updated_record(
                    conn, complaints, event, values, ["subject", "owner", "response_due_at"]
                )
                if row is not None:
                    await inbox.close(conn, self.schema, event, kind="complaint_to_resolve")
                    await inbox.close(conn, self.schema, event, kind="complaint_to_close")
                    if event.response_due_at is not None:
                        await set_deadline(
                            conn,
                            self.schema,
                            COMPLAINT_RESPONSE,
                            event.aggregate_id,
                            event.response_due_at,
                        )
                        await self._to_answer(conn, event, row["owner"], row)
                    if event.resolution_escalation_at is not None:
                        await set_deadline(
                            conn,
                            self.schema,
                            COMPLAINT_RESOLUTION,
                            event.aggregate_id,
                            event.resolution_escalation_at,
                        )
            case c.ComplaintClosed():
                if await update_record(
                    conn,
                    complaints,
                    event,
                    {
                        "state": ComplaintState.CLOSED.value,
                        "cause": event.cause,
                        "root_cause": event.root_cause,
                        "corrective_action": event.corrective_action,
                        "satisfaction": event.satisfaction,
                        "confirmed_by": event.confirmed_by,
                        "confirmation_channel": event.confirmation_channel,
                        "confirmed_on": event.confirmed_on,
                        "confirmed_with": event.confirmed_with,
                        "closed_by": event.by,
                        "closed_at": event.occurred_at,
                    },
                ):
                    await inbox.close(conn, self.schema, event, kind="complaint_to_close")

    async def _to_answer(
        self, conn: asyncpg.Connection, event: PublicEvent, owner: str, row: asyncpg.Record
    ) -> None:
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_to_answer",
            title=f"Answer complaint: {row['subject']}"[:200],
            waiting_on=inbox.person(owner),
            link=f"/complaints/{event.aggregate_id}/respond",
            due_at=row["response_due_at"],
        )

    async def _settle(
        self, conn: asyncpg.Connection, event: PublicEvent, kind: str, deadline: str
    ) -> None:
        """A deadline met: its work item and its escalations no longer wait on anyone."""
        await inbox.close(conn, self.schema, event, kind=kind)
        for level in (1, 2):
            await inbox.close(
                conn, self.schema, event, kind="complaint_escalated", item=f"{deadline}-{level}"
            )

    async def _escalated(
        self, conn: asyncpg.Connection, event: c.ComplaintEscalated, subject: str
    ) -> None:
        kind = COMPLAINT_RESPONSE if event.deadline == "response" else COMPLAINT_RESOLUTION
        if event.next_escalation_at is None:
            await clear_deadline(conn, self.schema, kind, event.aggregate_id)
        else:
            next_at = event.next_escalation_at
            await set_deadline(conn, self.schema, kind, event.aggregate_id, next_at)
        whom = (
            inbox.MANAGEMENT
            if event.to_department is None
            else inbox.WaitsOn(role=Role(event.to_role), department=event.to_department)
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_escalated",
            item=f"{event.deadline}-{event.level}",
            title=f"Escalated (level {event.level}, {event.deadline} overdue): {subject}"[:200],
            waiting_on=whom,
            link=f"/complaints/{event.aggregate_id}",
            due_at=event.due_at or event.response_due_at,
        )

    async def _corrective_action(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        """Actions are parts of their complaint: written only when the event is newer than
        the complaint's row, which moves to its version."""
        if not await update_record(conn, self.t["complaints"], event, {}):
            return
        actions = self.t["corrective_actions"]
        match event:
            case c.CorrectiveActionAdded():
                await insert_row(
                    conn,
                    actions,
                    {
                        "id": event.action_id,
                        "complaint_id": event.aggregate_id,
                        "description": event.description,
                        "owner": event.owner,
                        "due_on": event.due_on,
                        "added_by": event.by,
                        "added_at": event.occurred_at,
                    },
                )
                due = end_of(event.due_on)
                item = str(event.action_id)
                await set_deadline(
                    conn, self.schema, CORRECTIVE_ACTION, event.aggregate_id, due, item
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="corrective_action_due",
                    item=item,
                    title=f"Corrective action: {event.description}"[:200],
                    waiting_on=inbox.person(event.owner),
                    link=f"/complaints/{event.aggregate_id}/corrective-actions/{item}/complete",
                    due_at=due,
                )
            case c.CorrectiveActionCompleted():
                item = str(event.action_id)
                await update_row(
                    conn,
                    actions,
                    {"id": event.action_id},
                    {"done_on": event.done_on, "outcome": event.outcome},
                )
                await clear_deadline(conn, self.schema, CORRECTIVE_ACTION, event.aggregate_id, item)
                await inbox.close(conn, self.schema, event, kind="corrective_action_due", item=item)
            case c.CorrectiveActionOverdue():
                await update_row(conn, actions, {"id": event.action_id}, {"overdue": True})

    async def _contract(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        contracts = self.t["contracts"]
        match event:
            case c.ContractDrafted():
                if await insert_record(
                    conn,
                    contracts,
                    event,
                    {
                        "number": event.number,
                        "title": event.title,
                        "value_amount": event.value.amount,
                        "value_currency": event.value.currency,
                        "customer_id": event.customer_id,
                        "department": event.department,
                        "salesperson": event.salesperson,
                        "project_id": event.project_id,
                        "state": ContractState.DRAFT.value,
                        "drafted_by": event.by,
                    },
                ):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="contract_to_sign",
                        title=f"Contract {event.number} to sign: {event.title}"[:200],
                        waiting_on=inbox.head_of(event.department),
                        link=f"/contracts/{event.aggregate_id}/sign",
                    )
            case c.ContractSigned():
                if await update_record(
                    conn,
                    contracts,
                    event,
                    {"state": ContractState.SIGNED.value, "signed_on": event.signed_on},
                ):
                    await inbox.close(conn, self.schema, event, kind="contract_to_sign")
            case c.ContractCompleted():
                await update_record(
                    conn,
                    contracts,
                    event,
                    {"state": ContractState.COMPLETED.value, "completed_on": event.completed_on},
                )
            case c.ContractTerminated():
                if await update_record(
                    conn,
                    contracts,
                    event,
                    {
                        "state": ContractState.TERMINATED.value,
                        "terminated_on": event.terminated_on,
                        "termination_reason": event.reason,
                    },
                ):
                    await inbox.close(conn, self.schema, event, kind="contract_to_sign")
