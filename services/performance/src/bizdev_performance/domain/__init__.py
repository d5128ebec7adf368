"""Performance (REGULATIONS §8, §2.1): the organisation (people, departments), indicators,
targets and entered market shares, evaluation cycles with each person's evaluation, each
person's file of incentives and sanctions, and lead rewards. One module per kind of record.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_performance.domain.cycle import (
    STEP_ACKNOWLEDGEMENT,
    STEP_FEEDBACK,
    Cycle,
    Evaluation,
    Participant,
)
from bizdev_performance.domain.incentives import Grounds, PerformanceFile
from bizdev_performance.domain.indicator import (
    MARKET_DEPARTMENT,
    Indicator,
    MarketShare,
    Target,
    may_set_targets,
)
from bizdev_performance.domain.lead_reward import LeadReward, Policy
from bizdev_performance.domain.organisation import Department, Person

__all__ = [
    "MARKET_DEPARTMENT",
    "STEP_ACKNOWLEDGEMENT",
    "STEP_FEEDBACK",
    "Cycle",
    "Department",
    "Evaluation",
    "Grounds",
    "Indicator",
    "LeadReward",
    "MarketShare",
    "Participant",
    "PerformanceFile",
    "Person",
    "Policy",
    "Target",
    "may_set_targets",
]
