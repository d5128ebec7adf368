"""The performance service's own settings: the lead reward policy (REGULATIONS 2.1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from bizdev_common.domain import DomainError, Money
from bizdev_common.settings import ServiceSettings
from pydantic import Field, model_validator


class PerformanceSettings(ServiceSettings):
    lead_reward_policy: Literal["fixed", "share"] = Field(
        default="fixed",
        description="How a converted lead's finder is rewarded: a fixed sum, or a share of "
        "the expected revenue of the project it became",
    )
    lead_reward_amount: Decimal = Field(
        default=Decimal("5000.00"), ge=0, description="The fixed sum (policy `fixed`)"
    )
    lead_reward_currency: str = Field(
        default="CNY", description="Currency of the fixed sum (policy `fixed`)"
    )
    lead_reward_share_percent: Decimal = Field(
        default=Decimal("1"),
        ge=0,
        le=100,
        description="Percent of the expected revenue (policy `share`), in its currency",
    )

    @model_validator(mode="after")
    def _a_reward_is_money(self) -> PerformanceSettings:
        """Refused at start rather than by every lead it would reward (5000.005 CNY)."""
        try:
            Money(self.lead_reward_amount, self.lead_reward_currency)
        except DomainError as e:
            raise ValueError(f"lead_reward_amount / lead_reward_currency: {e.detail}") from e
        return self
