"""The risk service's own settings (BIZDEV_RISK_*): the matrix's level boundaries, the review
cadence by level, and each key risk indicator's window and thresholds."""

from __future__ import annotations

from bizdev_common.settings import ServiceSettings
from pydantic import BaseModel, Field, model_validator

from bizdev_risk.domain import Category, Indicator, Level, Matrix, Scope


class Tuning(BaseModel):
    """An indicator's rolling window (days) and thresholds (a count at or above one is past
    it)."""

    window_days: int = Field(ge=1, le=3660)
    warning: int = Field(ge=1)
    critical: int = Field(ge=2)


# What each indicator counts is code (reactions.py reads those events); how it is judged is
# the company's choice.
CATALOG: dict[str, tuple[str, str, tuple[str, ...], Scope, Category]] = {
    "complaints_per_customer": (
        "Complaints received from a customer",
        "crm",
        ("ComplaintReceived",),
        Scope.CUSTOMER,
        Category.MARKET,
    ),
    "escalated_complaints_per_customer": (
        "Complaints of a customer escalated for want of an answer in time",
        "crm",
        ("ComplaintEscalated",),
        Scope.CUSTOMER,
        Category.MARKET,
    ),
    "overdue_follow_ups_per_customer": (
        "Follow-up visits of a customer missed",
        "crm",
        ("FollowUpOverdue",),
        Scope.CUSTOMER,
        Category.MARKET,
    ),
    "overdue_receivables_per_customer": (
        "Invoices of a customer unpaid past their due date",
        "finance",
        ("ReceivableOverdue",),
        Scope.CUSTOMER,
        Category.CREDIT,
    ),
    "overdue_receivables": (
        "Invoices unpaid past their due date, company-wide",
        "finance",
        ("ReceivableOverdue",),
        Scope.COMPANY,
        Category.CREDIT,
    ),
    "budget_overruns_per_project": (
        "Budget lines of a project overspent",
        "finance",
        ("BudgetLineOverrun",),
        Scope.PROJECT,
        Category.OPERATIONAL,
    ),
    "overdue_milestones_per_project": (
        "Milestones of a project overdue",
        "projects",
        ("MilestoneOverdue",),
        Scope.PROJECT,
        Category.OPERATIONAL,
    ),
    "deviations_per_project": (
        "Deviations from a project's plan reported",
        "projects",
        ("DeviationReported",),
        Scope.PROJECT,
        Category.OPERATIONAL,
    ),
}

DEFAULT_TUNING: dict[str, Tuning] = {
    "complaints_per_customer": Tuning(window_days=90, warning=2, critical=4),
    "escalated_complaints_per_customer": Tuning(window_days=90, warning=1, critical=3),
    "overdue_follow_ups_per_customer": Tuning(window_days=180, warning=1, critical=3),
    "overdue_receivables_per_customer": Tuning(window_days=180, warning=1, critical=3),
    "overdue_receivables": Tuning(window_days=30, warning=10, critical=25),
    "budget_overruns_per_project": Tuning(window_days=365, warning=1, critical=3),
    "overdue_milestones_per_project": Tuning(window_days=180, warning=1, critical=3),
    "deviations_per_project": Tuning(window_days=180, warning=2, critical=4),
}


class RiskSettings(ServiceSettings):
    level_medium_from: int = Field(default=5, description="Lowest score at level medium")
    level_high_from: int = Field(default=10, description="Lowest score at level high")
    level_critical_from: int = Field(default=20, description="Lowest score at level critical")
    review_days_low: int = Field(default=180, ge=1, description="Days between reviews, low")
    review_days_medium: int = Field(default=90, ge=1, description="... at level medium")
    review_days_high: int = Field(default=30, ge=1, description="... at level high")
    review_days_critical: int = Field(default=7, ge=1, description="... at level critical")
    kri_tuning: dict[str, Tuning] = Field(
        default_factory=dict,
        description="Per indicator, its window and thresholds, a JSON object such as "
        '{"complaints_per_customer": {"window_days": 30, "warning": 3, "critical": 5}}; '
        "an indicator not named keeps its default",
    )

    @model_validator(mode="after")
    def _consistent(self) -> RiskSettings:
        self.matrix()  # boundaries that rise within the matrix
        unknown = set(self.kri_tuning) - set(CATALOG)
        if unknown:
            raise ValueError(f"no such indicators: {sorted(unknown)}")
        self.indicators()  # thresholds that rise
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

    def indicators(self) -> dict[str, Indicator]:
        found = {}
        for name, (title, source, events, scope, category) in CATALOG.items():
            t = self.kri_tuning.get(name, DEFAULT_TUNING[name])
            found[name] = Indicator(
                name, title, source, events, scope, category, t.window_days, t.warning, t.critical
            )
        return found
