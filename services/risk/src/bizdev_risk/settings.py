"""The risk service's own settings (BIZDEV_RISK_*): the matrix's level boundaries and the
review cadence by level. The key risk indicators are records the risk officer keeps
(domain.KriDefinition), not settings."""

from __future__ import annotations

from bizdev_common.settings import ServiceSettings
from pydantic import Field, model_validator

from bizdev_risk.domain import Level, Matrix


class RiskSettings(ServiceSettings):
    level_medium_from: int = Field(default=5, description="Lowest score at level medium")
    level_high_from: int = Field(default=10, description="Lowest score at level high")
    level_critical_from: int = Field(default=20, description="Lowest score at level critical")
    review_days_low: int = Field(default=180, ge=1, description="Days between reviews, low")
    review_days_medium: int = Field(default=90, ge=1, description="... at level medium")
    review_days_high: int = Field(default=30, ge=1, description="... at level high")
    review_days_critical: int = Field(default=7, ge=1, description="... at level critical")

    @model_validator(mode="after")
    def _consistent(self) -> RiskSettings:
        self.matrix()  # boundaries that rise within the matrix
        return self

    def matrix(self) -> Matrix:
        return Matrix(self.level_medium_from, self.level_high_from, self.level_critical_from)

    def cadence(self) -> dict[Level, int]:
        return {
            Level.LOW: self.review_days_low,
            Level.MEDIUM: self.review_days_medium,
            Level.HIGH: self.review_days_high,
            Level.CRITICAL: self.review_days_critical,
        }
