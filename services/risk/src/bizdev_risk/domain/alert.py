"""A key risk indicator's alert (REGULATIONS 5.3): raised by a crossing of a threshold,
active until the risk officer acknowledges it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.indicator import Indicator
from bizdev_risk.domain.kri import Crossing, Kri


class AlertState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"


class Alert(Aggregate):
    """A KRI's crossing of a threshold: active until the risk officer acknowledges it."""

    class Breached(Aggregate.Created):
        class_version = 2

        kri_id: UUID
        indicator: str
        kri_definition_version: int
        scope: str
        scope_id: UUID
        threshold: str
        threshold_value: int
        value: int
        at: datetime
        cause: str
        risk_id: UUID
        category: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["kri_definition_version"] = 1  # raised before definitions had versions

    @event(Breached)
    def __init__(
        self,
        kri_id: UUID,
        indicator: str,
        kri_definition_version: int,
        scope: str,
        scope_id: UUID,
        threshold: str,
        threshold_value: int,
        value: int,
        at: datetime,
        cause: str,
        risk_id: UUID,
        category: str,
    ) -> None:
        self.kri_id = kri_id
        self.indicator = indicator
        self.kri_definition_version = kri_definition_version
        self.risk_id = risk_id
        self.state = AlertState.ACTIVE

    @classmethod
    def raise_for(cls, kri: Kri, indicator: Indicator, crossing: Crossing, risk_id: UUID) -> Alert:
        return cls._create(
            cls.Breached,
            id=crossing.alert_id,
            kri_id=kri.id,
            indicator=indicator.name,
            kri_definition_version=indicator.version,
            scope=kri.scope.value,
            scope_id=kri.scope_id,
            threshold=crossing.band.value,
            threshold_value=indicator.threshold(crossing.band),
            value=crossing.value,
            at=crossing.at,
            cause=crossing.cause,
            risk_id=risk_id,
            category=indicator.category.value,
        )

    class Acknowledged(Aggregate.Event):
        by: str
        note: str

    def acknowledge(self, actor: Actor, note: str) -> None:
        """The risk officer has seen the alert and what it means for its risk."""
        require_acting(actor)
        require_role(actor, Role.RISK_OFFICER)
        require_text("note", note)
        if self.state != AlertState.ACTIVE:
            raise InvalidTransition("the alert is already acknowledged")
        self._acknowledged(by=actor.user_id, note=note)

    @event(Acknowledged)
    def _acknowledged(self, by: str, note: str) -> None:
        self.state = AlertState.ACKNOWLEDGED
