"""What more than one record of the service speaks of: the states and kinds they take,
and the checks their commands share."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bizdev_common.domain import RuleViolation, require_text


def one_of(field_name: str, value: str, kind: type[StrEnum]) -> str:
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(kind)
        raise RuleViolation(field_name, f"{field_name} must be one of {allowed}") from None


def require_score(field_name: str, score: int | None) -> int:
    if score is None:
        raise RuleViolation(field_name, f"{field_name} (1 to 5) is required")
    if isinstance(score, bool) or not 1 <= score <= 5:
        raise RuleViolation(field_name, f"{field_name} must be a whole number from 1 to 5")
    return score


def require_aware(field_name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise RuleViolation(field_name, f"{field_name} must carry a timezone")


def required_text(field_name: str, value: str | None) -> str:
    if value is None:
        raise RuleViolation(field_name, f"{field_name} is required")
    require_text(field_name, value)
    return value


class Channel(StrEnum):
    """Where a customer was found (客戶開發渠道)."""

    MARKETING = "marketing"
    TRADE_SHOW = "trade_show"
    REFERRAL = "referral"
    ONLINE = "online"
    OTHER = "other"


class ProposalOutcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    CANCELLED = "cancelled"


class CustomerEventKind(StrEnum):
    APPRECIATION = "appreciation"
    INDUSTRY_SEMINAR = "industry_seminar"


class CustomerEventState(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class ComplaintChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONLINE_CHAT = "online_chat"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class CauseCategory(StrEnum):
    """Root-cause categories, so that complaints of one cause can be counted (4.3)."""

    PRODUCT_QUALITY = "product_quality"
    SERVICE_ATTITUDE = "service_attitude"
    DELIVERY = "delivery"
    BILLING = "billing"
    COMMUNICATION = "communication"
    OTHER = "other"


class ComplaintState(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Deadline(StrEnum):
    """What a complaint owes the customer in time (4.3.2: an answer, then a solution)."""

    RESPONSE = "response"
    RESOLUTION = "resolution"


class ConfirmationChannel(StrEnum):
    """How the customer's satisfaction was confirmed before a complaint is closed."""

    PHONE = "phone"
    EMAIL = "email"
    ONLINE_CHAT = "online_chat"
    VISIT = "visit"


class CustomerStatus(StrEnum):
    """Where the relationship stands; sets how often the customer is to be visited."""

    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    LOST = "lost"


EXPLAINED_STATUSES = (CustomerStatus.DORMANT, CustomerStatus.LOST)
"""A customer going quiet or lost is a loss to explain: these need a reason."""


class ContractState(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    COMPLETED = "completed"
    TERMINATED = "terminated"
