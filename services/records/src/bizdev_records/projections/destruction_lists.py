"""The destruction lists' read model (REGULATIONS §6): each list of records proposed for
destruction, its approval by management and its carrying out before a witness, with the item
that waits on management, then on the archivist."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_record, update_record

from bizdev_records import published
from bizdev_records.domain import ListState
from bizdev_records.projections._common import ARCHIVIST

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.destruction_lists (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        record_ids uuid[] NOT NULL,
        reason text NOT NULL,
        listed_on date NOT NULL,
        proposed_by text NOT NULL,
        state text NOT NULL,
        approved_by text,
        witness text,
        method text,
        carried_out_by text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
]


class DestructionLists(Projection):
    name = "destruction_lists"
    tables = ("destruction_lists",)
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.DestructionListed():
                await self._listed(conn, event)
            case published.DestructionApproved():
                await self._approved(conn, event)
            case published.DestructionCarriedOut():
                await self._carried_out(conn, event)

    async def _listed(self, conn: ViewConnection, event: published.DestructionListed) -> None:
        applied = await insert_record(
            conn,
            self.t["destruction_lists"],
            event,
            {
                "record_ids": event.record_ids,
                "reason": event.reason,
                "listed_on": event.listed_on,
                "proposed_by": event.by,
                "state": ListState.PROPOSED.value,
            },
        )
        if applied:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="destruction_to_approve",
                title=f"Destruction of {len(event.record_ids)} records to approve",
                waiting_on=inbox.MANAGEMENT,
                link=f"/destruction-lists/{event.aggregate_id}/approve",
            )

    async def _approved(self, conn: ViewConnection, event: published.DestructionApproved) -> None:
        values = {"state": ListState.APPROVED.value, "approved_by": event.by}
        if await update_record(conn, self.t["destruction_lists"], event, values):
            await inbox.close(conn, self.schema, event, kind="destruction_to_approve")
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="destruction_to_carry_out",
                title=f"Destruction of {len(event.record_ids)} records approved",
                waiting_on=ARCHIVIST,
                link=f"/destruction-lists/{event.aggregate_id}/carry-out",
            )

    async def _carried_out(
        self, conn: ViewConnection, event: published.DestructionCarriedOut
    ) -> None:
        values = {
            "state": ListState.CARRIED_OUT.value,
            "witness": event.witness,
            "method": event.method,
            "carried_out_by": event.by,
        }
        if await update_record(conn, self.t["destruction_lists"], event, values):
            await inbox.close(conn, self.schema, event, kind="destruction_to_carry_out")
