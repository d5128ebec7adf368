"""The contracts list, and the contracts waiting on their department's head to be signed."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    insert_record,
    update_record,
)

from bizdev_crm import published
from bizdev_crm.domain import ContractState


class ContractsView(Projection):
    name = "contracts"
    tables = ("contracts",)
    ddl = (
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
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ContractDrafted():
                await self._drafted(conn, event)
            case published.ContractSigned():
                await self._signed(conn, event)
            case published.ContractCompleted():
                await self._completed(conn, event)
            case published.ContractTerminated():
                await self._terminated(conn, event)

    async def _drafted(self, conn: ViewConnection, event: published.ContractDrafted) -> None:
        if await insert_record(
            conn,
            self.t["contracts"],
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

    async def _signed(self, conn: ViewConnection, event: published.ContractSigned) -> None:
        if await update_record(
            conn,
            self.t["contracts"],
            event,
            {"state": ContractState.SIGNED.value, "signed_on": event.signed_on},
        ):
            await inbox.close(conn, self.schema, event, kind="contract_to_sign")

    async def _completed(self, conn: ViewConnection, event: published.ContractCompleted) -> None:
        await change_record(
            conn,
            self.t["contracts"],
            event,
            {"state": ContractState.COMPLETED.value, "completed_on": event.completed_on},
        )

    async def _terminated(self, conn: ViewConnection, event: published.ContractTerminated) -> None:
        if await update_record(
            conn,
            self.t["contracts"],
            event,
            {
                "state": ContractState.TERMINATED.value,
                "terminated_on": event.terminated_on,
                "termination_reason": event.reason,
            },
        ):
            await inbox.close(conn, self.schema, event, kind="contract_to_sign")
