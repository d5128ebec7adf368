"""The kinds and states the performance records share, and the periods they are measured in."""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

from bizdev_common.domain import RuleViolation

NAMESPACE = uuid5(NAMESPACE_URL, "urn:bizdev:performance")
"""Ids derived from natural keys (a user id, a department, a lead) live under it."""


class CycleKind(StrEnum):
    """REGULATIONS 8.2: monthly (tracking), quarterly (stage results), annual (overall)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class IndicatorKind(StrEnum):
    SALES = "sales"
    PROFIT = "profit"
    CUSTOMER_SATISFACTION = "customer_satisfaction"
    MARKET_SHARE = "market_share"
    CUSTOM = "custom"


class Measure(StrEnum):
    """Where an indicator's actuals come from (REGULATIONS 8.3): events, never typing, but
    market share, which the market department enters with its source."""

    CONTRACT_VALUE = "contract_value"
    """crm's ContractSigned: the value signed, per salesperson, project (team), department."""
    REVENUE = "revenue"
    """finance's RevenueRecorded: the amount invoiced, per salesperson, project, department."""
    PROFIT = "profit"
    """Revenue recorded minus expenses posted, that is paid (finance), per project (team) and
    department."""
    SATISFACTION = "satisfaction"
    """crm's FollowUpRecorded (the visitor) and ComplaintClosed (the complaint's owner): the
    mean of the customers' 1-5 satisfaction."""
    MARKET_SHARE = "market_share"
    """Entered by the market department, with its source, in percent."""


MONEY_MEASURES = frozenset({Measure.CONTRACT_VALUE, Measure.REVENUE, Measure.PROFIT})

DEFAULT_MEASURE = {
    IndicatorKind.SALES: Measure.CONTRACT_VALUE,
    IndicatorKind.PROFIT: Measure.PROFIT,
    IndicatorKind.CUSTOMER_SATISFACTION: Measure.SATISFACTION,
    IndicatorKind.MARKET_SHARE: Measure.MARKET_SHARE,
}
"""The measure of each built-in kind, unless its definition picks another (sales may be
measured by revenue); a custom indicator names its measure."""


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class SubjectKind(StrEnum):
    """Whose target: a person (user id), a team (the project's id: projects' teams) or a
    department (its name)."""

    PERSON = "person"
    TEAM = "team"
    DEPARTMENT = "department"


class Relation(StrEnum):
    """How a rater stands to the person rated; the organisation decides it, never the rater."""

    SUPERVISOR = "supervisor"
    PEER = "peer"
    SUBORDINATE = "subordinate"
    CUSTOMER = "customer"


class EvaluationState(StrEnum):
    OPEN = "open"
    FINALIZED = "finalized"
    FEEDBACK_DELIVERED = "feedback_delivered"
    ACKNOWLEDGED = "acknowledged"


class IncentiveKind(StrEnum):
    COMMENDATION = "commendation"
    BONUS = "bonus"
    PROMOTION = "promotion"
    HONORARY_TITLE = "honorary_title"


class ImprovementMeasure(StrEnum):
    COACHING = "coaching"
    TRAINING = "training"


class SanctionKind(StrEnum):
    DEMOTION = "demotion"
    TRANSFER = "transfer"


# Numbered groups (year, quarter, month), not named ones: the pattern is also the OpenAPI
# document's, and JavaScript's validators refuse Python's `(?P<name>...)`.
_PERIOD = re.compile(r"^(19[0-9]{2}|2[01][0-9]{2}|2200)(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")
PERIOD_PATTERN = _PERIOD.pattern


def period_kind(period: str) -> CycleKind:
    m = _PERIOD.match(period)
    if m is None:
        raise RuleViolation("period", "a period is YYYY, YYYY-Qn or YYYY-MM")
    if m[2]:
        return CycleKind.QUARTERLY
    if m[3]:
        return CycleKind.MONTHLY
    return CycleKind.ANNUAL


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of `2026`, `2026-Q4` or `2026-11`."""
    kind = period_kind(period)
    m = _PERIOD.match(period)
    assert m is not None
    year = int(m[1])
    if kind is CycleKind.ANNUAL:
        first_month, last_month = 1, 12
    elif kind is CycleKind.QUARTERLY:
        first_month = 3 * (int(m[2]) - 1) + 1
        last_month = first_month + 2
    else:
        first_month = last_month = int(m[3])
    last = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last)
