"""What risk's records, its API and its views speak of: the categories and scopes of a risk,
its strategies, assessments and states, a scenario, a measure, the review cadence; and who
keeps the register."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import (
    Actor,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_role,
)

from bizdev_risk.domain.matrix import Level

COMPANY = uuid5(NAMESPACE_URL, "urn:bizdev:risk:company")
"""The id the company goes by as what a risk or an indicator is about."""


class Category(StrEnum):
    MARKET = "market"
    CREDIT = "credit"
    OPERATIONAL = "operational"
    LEGAL = "legal"


class Scope(StrEnum):
    PROJECT = "project"
    CUSTOMER = "customer"
    COMPANY = "company"


class Strategy(StrEnum):
    AVOID = "avoid"
    REDUCE = "reduce"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class Assessment(StrEnum):
    INHERENT = "inherent"
    """Before any response."""
    RESIDUAL = "residual"
    """What remains with the response's measures in place."""


class RiskState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResponseState(StrEnum):
    NONE = "none"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    """`accept` of a risk at level high or above, until management signs it off."""
    IN_FORCE = "in_force"


@dataclass(frozen=True)
class Scenario:
    """A scenario analysis: what could happen, how likely (percent) and what it would cost."""

    scenario: str
    probability: Decimal
    impact: Money

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "probability": str(self.probability),
            "impact": self.impact.as_dict(),
        }


@dataclass
class Measure:
    description: str
    department: str
    person: str
    due_on: date
    next_review_at: datetime
    completed: bool = False
    overdue_flagged: bool = False
    review_flagged_for: datetime | None = None


Cadence = Mapping[Level, int]
"""Days between two reviews of a measure, by the risk's level."""


def require_risk_officer(actor: Actor) -> None:
    require_acting(actor)
    require_role(actor, Role.RISK_OFFICER)


def require_scope(scope: Scope, project_id: UUID | None, customer_id: UUID | None) -> None:
    if scope == Scope.PROJECT and (project_id is None or customer_id is not None):
        raise RuleViolation("project_id", "a risk against a project names the project only")
    if scope == Scope.CUSTOMER and (customer_id is None or project_id is not None):
        raise RuleViolation("customer_id", "a risk against a customer names the customer only")
    if scope == Scope.COMPANY and (project_id is not None or customer_id is not None):
        raise RuleViolation("scope", "a risk against the company names no project or customer")
