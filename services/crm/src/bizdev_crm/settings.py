"""crm's own configuration, beyond what every service reads (BIZDEV_CRM_*)."""

from __future__ import annotations

from bizdev_common.settings import ServiceSettings
from pydantic import Field, field_validator

from bizdev_crm.domain import Severity


class CrmSettings(ServiceSettings):
    complaint_response_hours: dict[str, int] = Field(
        default={"low": 72, "medium": 24, "high": 8, "critical": 2},
        description=(
            "Hours from receipt within which a complaint must be answered, per severity; "
            'BIZDEV_CRM_COMPLAINT_RESPONSE_HOURS as JSON, e.g. {"low": 72, "medium": 24, '
            '"high": 8, "critical": 2}. Past it, an unanswered complaint is escalated.'
        ),
    )

    @field_validator("complaint_response_hours")
    @classmethod
    def _every_severity_positive(cls, hours: dict[str, int]) -> dict[str, int]:
        missing = [s.value for s in Severity if s.value not in hours]
        if missing:
            raise ValueError(f"no response hours for {', '.join(missing)}")
        unknown = sorted(set(hours) - {s.value for s in Severity})
        if unknown:
            raise ValueError(f"unknown severities {', '.join(unknown)}")
        if any(h <= 0 for h in hours.values()):
            raise ValueError("response hours must be positive")
        return hours
