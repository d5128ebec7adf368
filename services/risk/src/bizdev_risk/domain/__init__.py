"""Risk (REGULATIONS §5): the register's risks, the key risk indicators and their alerts,
identification rounds and review meetings. One module per record (aggregate), a package for
the risk (its measures' commands beside it); `values` holds what more than one of them, or
the API and the views, speak of.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_common.stored_topics import keep_old_topics

from bizdev_risk.domain.alert import Alert, AlertState
from bizdev_risk.domain.definition import KriCatalogue, KriDefinition
from bizdev_risk.domain.indicator import BUILT_IN, COUNTABLE, Band, Indicator
from bizdev_risk.domain.kri import Crossing, Kri
from bizdev_risk.domain.matrix import Level, Matrix
from bizdev_risk.domain.meeting import ReviewMeeting
from bizdev_risk.domain.risk import Risk
from bizdev_risk.domain.round import IdentificationRound
from bizdev_risk.domain.subject import Subject
from bizdev_risk.domain.values import (
    COMPANY,
    Assessment,
    Cadence,
    Category,
    ResponseState,
    RiskState,
    Scenario,
    Scope,
    Strategy,
)

STORED_BEFORE_THE_SPLIT = keep_old_topics(
    "bizdev_risk.domain.kri", Alert, Subject, KriDefinition, KriCatalogue
)
"""Until issue 18 the alerts, subjects and indicator definitions lived in the module
`bizdev_risk.domain.kri` with the indicators: the events stored then name their classes there."""

__all__ = [
    "BUILT_IN",
    "COMPANY",
    "COUNTABLE",
    "STORED_BEFORE_THE_SPLIT",
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
