"""The reward for a lead that became an approved project (REGULATIONS 2.1, 8.4): granted to
its finder as the policy sets it (a fixed sum, or a share of the project's expected revenue),
once per lead, never approved by the finder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    minor_units,
    require_acting,
    require_role,
)
from eventsourcing.domain import Aggregate, event

from bizdev_performance.domain.values import NAMESPACE

_REWARDS = uuid5(NAMESPACE, "lead-reward")
FIXED = "fixed"
SHARE = "share"


@dataclass(frozen=True)
class Policy:
    """The setting in force when the lead was converted: `fixed` pays `amount`, `share`
    pays `share_percent` of the expected revenue, in its currency."""

    kind: str
    amount: Money | None = None
    share_percent: Decimal | None = None

    def reward(self, expected_revenue: Money | None) -> Money | None:
        """None while the share's basis is not known yet."""
        if self.kind == FIXED:
            return self.amount
        if expected_revenue is None:
            return None
        assert self.share_percent is not None
        places = minor_units(expected_revenue.currency) or 0
        exact = expected_revenue.amount * self.share_percent / Decimal(100)
        return Money(
            exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN),
            expected_revenue.currency,
        )


class LeadReward(Aggregate):
    """The reward of one lead, keyed by the lead: whichever of the lead's conversion and its
    project's opening arrives first opens it, so a redelivered event finds it."""

    @staticmethod
    def create_id(lead_id: UUID) -> UUID:
        return uuid5(_REWARDS, str(lead_id))

    class Noted(Aggregate.Created):
        lead_id: UUID

    @classmethod
    def note(cls, lead_id: UUID) -> LeadReward:
        return cls._create(cls.Noted, id=cls.create_id(lead_id), lead_id=lead_id)

    @event(Noted)
    def __init__(self, lead_id: UUID) -> None:
        self.lead_id = lead_id
        self.finder: str | None = None
        self.converted_by: str | None = None
        self.expected_revenue: Money | None = None
        self.policy: Policy | None = None
        self.granted: Money | None = None
        self.held = False

    class Converted(Aggregate.Event):
        finder: str
        department: str
        project_id: UUID
        application_id: UUID
        converted_by: str | None
        policy: str
        fixed_amount: Money | None
        share_percent: Decimal | None

    def converted(
        self,
        *,
        finder: str,
        department: str,
        project_id: UUID,
        application_id: UUID,
        converted_by: str | None,
        policy: Policy,
    ) -> bool:
        """projects' LeadConverted; False when it was recorded before (a redelivery)."""
        if self.finder is not None:
            return False
        self._converted(
            finder=finder,
            department=department,
            project_id=project_id,
            application_id=application_id,
            converted_by=converted_by,
            policy=policy.kind,
            fixed_amount=policy.amount,
            share_percent=policy.share_percent,
        )
        self._settle()
        return True

    @event(Converted)
    def _converted(
        self, finder: str, department: str, project_id: UUID, application_id: UUID,
        converted_by: str | None, policy: str, fixed_amount: Money | None,
        share_percent: Decimal | None,
    ) -> None:  # fmt: skip
        self.finder = finder
        self.department = department
        self.project_id = project_id
        self.converted_by = converted_by
        self.policy = Policy(policy, fixed_amount, share_percent)

    class RevenueExpected(Aggregate.Event):
        project_id: UUID
        expected_revenue: Money

    def revenue_expected(self, project_id: UUID, expected_revenue: Money) -> bool:
        """projects' ProjectOpened for the lead: the basis of a share."""
        if self.expected_revenue is not None:
            return False
        self._expected(project_id=project_id, expected_revenue=expected_revenue)
        self._settle()
        return True

    @event(RevenueExpected)
    def _expected(self, project_id: UUID, expected_revenue: Money) -> None:
        self.expected_revenue = expected_revenue

    class HeldForApproval(Aggregate.Event):
        finder: str
        department: str
        amount: Money

    class Granted(Aggregate.Event):
        by: str
        finder: str
        department: str
        project_id: UUID
        amount: Money
        policy: str
        expected_revenue: Money | None

    def _settle(self) -> None:
        """Grants the reward once both its finder and its amount are known: approved by who
        approved the application that converted the lead (never its finder, projects makes
        sure); without such an approver it waits for hr."""
        if self.granted is not None or self.held or self.policy is None:
            return
        amount = self.policy.reward(self.expected_revenue)
        if amount is None:
            return
        assert self.finder is not None
        if self.converted_by is None or self.converted_by == self.finder:
            self._hold(finder=self.finder, department=self.department, amount=amount)
            return
        self._grant_as(self.converted_by, amount)

    def _grant_as(self, by: str, amount: Money) -> None:
        assert self.finder is not None
        assert self.policy is not None
        self._grant(
            by=by,
            finder=self.finder,
            department=self.department,
            project_id=self.project_id,
            amount=amount,
            policy=self.policy.kind,
            expected_revenue=self.expected_revenue,
        )

    @event(HeldForApproval)
    def _hold(self, finder: str, department: str, amount: Money) -> None:
        self.held = True
        self.pending = amount

    @event(Granted)
    def _grant(
        self, by: str, finder: str, department: str, project_id: UUID, amount: Money,
        policy: str, expected_revenue: Money | None,
    ) -> None:  # fmt: skip
        self.granted = amount
        self.held = False

    def approve(self, actor: Actor) -> None:
        """hr approves a held reward; never the finder."""
        require_acting(actor)
        require_role(actor, Role.HR)
        if actor.user_id == self.finder:
            raise Forbidden("the finder never approves their own reward")
        if self.granted is not None:
            raise InvalidTransition("the reward is granted")
        if not self.held:
            raise InvalidTransition("the reward is not waiting for approval")
        self._grant_as(actor.user_id, self.pending)
