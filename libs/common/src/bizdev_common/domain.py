"""Domain vocabulary every service shares: who acts (REGULATIONS' role table), money, time,
and the refusals a domain model may raise. Free of I/O so aggregates stay pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from iso4217 import Currency


class Role(StrEnum):
    EMPLOYEE = "employee"
    DEPARTMENT_HEAD = "department_head"
    MANAGEMENT = "management"
    TEAM_LEAD = "team_lead"
    FINANCE = "finance"
    RISK_OFFICER = "risk_officer"
    ARCHIVIST = "archivist"
    HR = "hr"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Actor:
    """A person acting through the API: one department, one or more roles (REGULATIONS, Roles)."""

    user_id: str
    department: str
    roles: frozenset[Role] = field(default_factory=frozenset)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def reads_all_kept_by(self, keeper: Role) -> bool:
        """Whether they read all of what `keeper` keeps (finance's budgets, the archivist's
        records): the keeper, management, which decides on it, and the auditor, who reads
        everything (REGULATIONS, Roles)."""
        return bool(self.roles & {keeper, Role.MANAGEMENT, Role.AUDITOR})

    def is_head_of(self, department: str) -> bool:
        return self.has(Role.DEPARTMENT_HEAD) and self.department == department


class DomainError(Exception):
    """A command refused by the rules; the API turns each kind into one HTTP status."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(DomainError):
    """The actor's roles or relation to the record do not allow the command (403)."""


class NotFound(DomainError):
    """No such record (404)."""


class InvalidTransition(DomainError):
    """The record's state machine does not allow the command now (409)."""


class RuleViolation(DomainError):
    """The command's content breaks a rule; `field` names what to correct (422)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def require_role(actor: Actor, *roles: Role) -> None:
    if not any(actor.has(r) for r in roles):
        wanted = " or ".join(r.value for r in roles)
        raise Forbidden(f"this action needs the role {wanted}")


ACTING_ROLES = frozenset(Role) - {Role.AUDITOR}
"""Roles that change records (REGULATIONS, Roles): every one but the auditor, who reads
everything and changes nothing."""


def require_acting(actor: Actor) -> None:
    """Every command needs an acting role, whatever else allows it: a command allowed by the
    actor's relation to a record (its owner, applicant, author) must not be open to someone
    who holds that relation but only the auditor's role."""
    if not actor.roles & ACTING_ROLES:
        raise Forbidden("this action needs an acting role: an auditor reads and changes nothing")


def require_not_self(actor: Actor, author: str, what: str) -> None:
    """A person never reviews or approves their own submission (REGULATIONS, Roles)."""
    if actor.user_id == author:
        raise Forbidden(f"nobody may {what} their own submission")


def require_text(field_name: str, value: str) -> None:
    if not value or not value.strip():
        raise RuleViolation(field_name, f"{field_name} is required")


MONEY_LIMIT = Decimal(10) ** 18
"""No business amount comes near it; it is above what the API accepts (10^15) so that sums of
accepted amounts (a plan's budget lines) stay representable, and far below what would make a
stored amount a danger to the views that write it (`1E+999999999` is a gigabyte of digits)."""


_MINOR_UNITS = {c.code: c.exponent for c in Currency if c.exponent is not None}


def minor_units(currency: str) -> int | None:
    """The decimal places of an active ISO 4217 currency, None when `currency` is not one or
    has no minor unit (gold, SDR, the test code): those are not money a company books."""
    return _MINOR_UNITS.get(currency)


def decimal_places(amount: Decimal) -> int:
    """Places after the point that carry a digit: "100.50" has 1, "100.505" has 3, exactly
    (no rounding, however many digits)."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    if not any(digits):
        return 0
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    return max(-(exponent + zeros), 0)


@dataclass(frozen=True)
class Money:
    """An exact amount in one active ISO 4217 currency, with no more decimals than that
    currency has; amounts in different currencies never mix."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            try:
                object.__setattr__(self, "amount", Decimal(str(self.amount)))
            except InvalidOperation as e:
                raise RuleViolation("amount", "amount must be a decimal number") from e
        if not self.amount.is_finite():
            raise RuleViolation("amount", "amount must be a finite decimal number")
        units = minor_units(self.currency)
        if units is None:
            raise RuleViolation(
                "currency", f"{self.currency!r} is not an active ISO 4217 currency such as CNY"
            )
        if self.amount.copy_abs() >= MONEY_LIMIT:  # abs() would round to the context
            raise RuleViolation("amount", "amount is out of range")
        if decimal_places(self.amount) > units:
            raise RuleViolation("amount", f"{self.currency} has {units} decimal places at most")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise RuleViolation("currency", f"cannot mix {self.currency} and {other.currency}")

    def is_negative(self) -> bool:
        return self.amount < 0

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}
