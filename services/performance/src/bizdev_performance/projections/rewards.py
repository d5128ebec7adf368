"""Lead rewards (REGULATIONS §2.1): held for hr's approval, or granted.

Named `rewards`, not `lead_rewards`: a projection's consumer group is named after it, and
`performance.lead_rewards` is the group of the reaction that grants them."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_record

from bizdev_performance import published
from bizdev_performance.projections._common import HR


class RewardsView(Projection):
    name = "rewards"
    tables = ("lead_rewards",)
    ddl = (
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
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.LeadRewardHeld():
                await self._held(conn, event)
            case published.LeadRewardGranted():
                await self._granted(conn, event)

    async def _held(self, conn: ViewConnection, event: published.LeadRewardHeld) -> None:
        if await insert_record(
            conn,
            self.t["lead_rewards"],
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

    async def _granted(self, conn: ViewConnection, event: published.LeadRewardGranted) -> None:
        revenue = event.expected_revenue
        if await insert_record(
            conn,
            self.t["lead_rewards"],
            event,
            {
                "finder": event.finder,
                "department": event.department,
                "project_id": event.project_id,
                "state": "granted",
                "amount_amount": event.amount.amount,
                "amount_currency": event.amount.currency,
                "policy": event.policy,
                "expected_revenue_amount": None if revenue is None else revenue.amount,
                "expected_revenue_currency": None if revenue is None else revenue.currency,
                "approved_by": event.by,
            },
        ):
            await inbox.close(conn, self.schema, event, kind="lead_reward_to_approve")
