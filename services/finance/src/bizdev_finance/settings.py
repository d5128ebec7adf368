"""finance's own configuration, beyond what every service reads (BIZDEV_FINANCE_*)."""

from __future__ import annotations

from decimal import Decimal

from bizdev_common.settings import ServiceSettings
from pydantic import Field


class FinanceSettings(ServiceSettings):
    variance_threshold_percent: Decimal = Field(
        default=Decimal(10),
        ge=0,
        le=1000,
        decimal_places=2,
        description=(
            "A line whose actual passes its budget by more than this percent of the budget "
            "when a month is closed needs finance's explanation (reason and improvement) "
            "before the period's report is final (REGULATIONS 7.3). The close records the "
            "value it used in PeriodClosed, so a change applies to months closed afterwards."
        ),
    )
