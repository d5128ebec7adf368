"""Read models of the crm service, fed by its own topic: the lists, the customer 360° view,
the complaint queue and counts. Each record's row keeps its version, for read-your-writes;
rows of a record's parts (proposals, dealings, invitations) move their record's version too,
and are written only when the event is newer than that record's row: a redelivered or older
event changes nothing (bizdev_common.projector).

No personal data is here: contact persons appear by id only, since the topic carries no
more; queries that show them open the sealed values from the event store (api.py).

The complaint view also arms each complaint's response deadline in the same transaction,
and disarms it when the complaint is answered or escalated (bizdev_common.scheduler)."""

from __future__ import annotations

import asyncpg
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    insert_record,
    insert_row,
    update_record,
    update_row,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_crm import contract as c
from bizdev_crm.domain import ComplaintState, CustomerEventState, FollowUpState
from bizdev_crm.reactions import COMPLAINT_RESPONSE

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
        proposal text,
        rounds int NOT NULL DEFAULT 0,
        resolution text,
        cause text,
        root_cause text,
        corrective_action text,
        satisfaction int,
        closed_by text,
        closed_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
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
    )
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])
        self.t = {t: f'"{schema}".{t}' for t in self.tables}

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

    async def _customer(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        customers = self.t["customers"]
        match event:
            case c.CustomerRegistered():
                await insert_record(
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
                        }
                    ),
                )
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
            case c.ComplaintAssigned():
                await update_record(
                    conn,
                    complaints,
                    event,
                    {"state": ComplaintState.ASSIGNED.value, "owner": event.owner},
                )
            case c.ComplaintResponded():
                # The first answer is the one the deadline asked for; later rounds follow a
                # customer not satisfied.
                status = await conn.execute(
                    f"UPDATE {complaints} SET state = $2, proposal = $3, rounds = rounds + 1, "
                    "responded_at = COALESCE(responded_at, $5), version = $4, updated_at = $5 "
                    "WHERE id = $1 AND version < $4",
                    event.aggregate_id,
                    ComplaintState.RESPONDED.value,
                    event.proposal,
                    event.version,
                    event.occurred_at,
                )
                if status != "UPDATE 0":
                    await clear_deadline(conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id)
            case c.ComplaintEscalated():
                if await update_record(
                    conn,
                    complaints,
                    event,
                    {"escalated": True, "escalated_at": event.escalated_at},
                ):
                    await clear_deadline(conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id)
            case c.ComplaintResolved():
                await update_record(
                    conn,
                    complaints,
                    event,
                    {"state": ComplaintState.RESOLVED.value, "resolution": event.resolution},
                )
            case c.ComplaintReopened():
                await update_record(
                    conn,
                    complaints,
                    event,
                    {"state": ComplaintState.ASSIGNED.value, "resolution": None},
                )
            case c.ComplaintClosed():
                await update_record(
                    conn,
                    complaints,
                    event,
                    {
                        "state": ComplaintState.CLOSED.value,
                        "cause": event.cause,
                        "root_cause": event.root_cause,
                        "corrective_action": event.corrective_action,
                        "satisfaction": event.satisfaction,
                        "closed_by": event.by,
                        "closed_at": event.occurred_at,
                    },
                )
