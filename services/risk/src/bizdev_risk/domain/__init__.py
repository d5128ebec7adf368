"""Risk (REGULATIONS §5): the register's risks, the key risk indicators and their alerts,
identification rounds and review meetings. One module per record (aggregate).

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_risk.domain.kri import (
    BUILT_IN,
    COUNTABLE,
    Alert,
    AlertState,
    Band,
    Crossing,
    Indicator,
    Kri,
    KriCatalogue,
    KriDefinition,
    Subject,
)
from bizdev_risk.domain.matrix import Level, Matrix
from bizdev_risk.domain.meeting import ReviewMeeting
from bizdev_risk.domain.risk import (
    COMPANY,
    Assessment,
    Cadence,
    Category,
    ResponseState,
    Risk,
    RiskState,
    Scenario,
    Scope,
    Strategy,
)
from bizdev_risk.domain.round import IdentificationRound

__all__ = [
    "BUILT_IN",
    "COMPANY",
    "COUNTABLE",
    "Alert",
    "AlertState",
    "Assessment",
    "Band",
    "Cadence",
    "Category",
    "Crossing",
    "IdentificationRound",
    "Indicator",
    "Kri",
    "KriCatalogue",
    "KriDefinition",
    "Level",
    "Matrix",
    "ResponseState",
    "ReviewMeeting",
    "Risk",
    "RiskState",
    "Scenario",
    "Scope",
    "Strategy",
    "Subject",
]
