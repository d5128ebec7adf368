"""Indicators (REGULATIONS §8.1), the targets set on them, and the market shares entered."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
)

from bizdev_performance import published
from bizdev_performance.domain.values import period_bounds


class IndicatorsView(Projection):
    name = "indicators"
    tables = ("indicators", "targets", "market_shares")
    ddl = (
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
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.IndicatorDefined():
                await self._defined(conn, event)
            case published.TargetSet():
                await self._target_set(conn, event)
            case published.TargetRevised():
                await self._target_revised(conn, event)
            case published.MarketShareRecorded():
                await self._market_share(conn, event)

    async def _defined(self, conn: ViewConnection, event: published.IndicatorDefined) -> None:
        await put_record(
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

    async def _target_set(self, conn: ViewConnection, event: published.TargetSet) -> None:
        first, last = period_bounds(event.period)
        await put_record(
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

    async def _target_revised(self, conn: ViewConnection, event: published.TargetRevised) -> None:
        await change_record(
            conn, self.t["targets"], event, {"value": event.value, "set_by": event.by}
        )

    async def _market_share(
        self, conn: ViewConnection, event: published.MarketShareRecorded
    ) -> None:
        await put_record(
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
