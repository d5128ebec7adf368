"""What more than one record of the service speaks of: the states and kinds they take,
and the checks their commands share."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bizdev_common.domain import Money, RuleViolation, require_text


def require_not_negative(field_name: str, value: Money) -> None:
    if value.is_negative():
        raise RuleViolation(field_name, f"{field_name} must not be negative")


def choice(enum: type[StrEnum], field_name: str, value: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(enum)
        raise RuleViolation(field_name, f"{field_name} must be one of {allowed}") from None


def require_names(field_name: str, names: Sequence[str]) -> list[str]:
    """A non-empty list of distinct user ids or department names."""
    if not names:
        raise RuleViolation(field_name, f"{field_name} must name at least one")
    for name in names:
        require_text(field_name, name)
    if len(set(names)) != len(names):
        raise RuleViolation(field_name, f"{field_name} must not repeat a name")
    return list(names)


class InsightKind(StrEnum):
    INDUSTRY_TREND = "industry_trend"
    COMPETITOR = "competitor"
    CUSTOMER_NEED = "customer_need"


class LeadState(StrEnum):
    SUBMITTED = "submitted"
    QUALIFIED = "qualified"
    DISCARDED = "discarded"
    CONVERTED = "converted"


class ReviewedAs(StrEnum):
    """Who signed an application's opinion: the head of the applicant's department, or
    management when the applicant is that head."""

    DEPARTMENT_HEAD = "department_head"
    MANAGEMENT = "management"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DEPARTMENT_REVIEWED = "department_reviewed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProjectState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class HealthStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ON_HOLD = "on_hold"
    DONE = "done"


class ProjectOutcome(StrEnum):
    ACHIEVED = "achieved"
    PARTIALLY_ACHIEVED = "partially_achieved"
    NOT_ACHIEVED = "not_achieved"
    CANCELLED = "cancelled"


class PlanState(StrEnum):
    """The state of the plan's latest revision. `replanning`: management required a new
    revision; the approved one stays in force until the new one passes every review."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REPLANNING = "replanning"


class Verdict(StrEnum):
    PASSED = "passed"
    CHANGES_REQUESTED = "changes_requested"


class BudgetCategory(StrEnum):
    """The categories finance budgets by (REGULATIONS 7.1)."""

    MARKETING = "marketing"
    PERSONNEL = "personnel"
    OPERATIONS = "operations"
    PROCUREMENT = "procurement"


class DeviationState(StrEnum):
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"


class MeetingKind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    PROGRESS = "progress"
    OTHER = "other"


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    MINUTED = "minuted"


class PartyKind(StrEnum):
    CUSTOMER = "customer"
    PARTNER = "partner"
    SUPPLIER = "supplier"
