"""crm's own configuration, beyond what every service reads (BIZDEV_CRM_*)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from bizdev_common.settings import Role, ServiceSettings
from pydantic import Field, SecretStr, ValidationInfo, field_validator

from bizdev_crm.domain import CustomerStatus, Severity
from bizdev_crm.personal_data import KeyRing, secrets_of


class CrmSettings(ServiceSettings):
    complaint_response_hours: dict[str, int] = Field(
        default={"low": 72, "medium": 24, "high": 8, "critical": 2},
        description=(
            "Hours from receipt within which a complaint must be answered, per severity; "
            'BIZDEV_CRM_COMPLAINT_RESPONSE_HOURS as JSON, e.g. {"low": 72, "medium": 24, '
            '"high": 8, "critical": 2}. Past it, an unanswered complaint is escalated.'
        ),
    )

    key_store_connections: int = Field(
        default=4,
        ge=1,
        description="The customer keys' pool, in every process that opens personal data",
    )

    complaint_resolution_hours: dict[str, int] = Field(
        default={"low": 240, "medium": 120, "high": 48, "critical": 24},
        description=(
            "Hours from receipt within which a complaint must be resolved (the customer "
            "accepts a solution), per severity, each at least its response hours; "
            "BIZDEV_CRM_COMPLAINT_RESOLUTION_HOURS as JSON. Past it the complaint is escalated "
            "to the head of its department, and after as long again to management."
        ),
    )
    follow_up_cycle_days: dict[str, int | None] = Field(
        default={"prospect": 30, "active": 30, "dormant": 90, "lost": None},
        description=(
            "Days between follow-up visits per customer status, null for none owed; "
            'BIZDEV_CRM_FOLLOW_UP_CYCLE_DAYS as JSON, e.g. {"prospect": 30, "active": 30, '
            '"dormant": 90, "lost": null}. A customer not visited in time is overdue.'
        ),
    )

    personal_data_kek: SecretStr | None = Field(
        default=None,
        description=(
            "The key-encryption key that wraps every customer's personal-data key: any secret "
            "text of at least 32 characters. Required (or _KEK_FILE); never in the database."
        ),
    )
    personal_data_kek_file: Path | None = Field(
        default=None, description="A file holding the KEK instead, e.g. a mounted Secret"
    )
    personal_data_kek_previous: SecretStr | None = Field(
        default=None,
        description=(
            "Earlier KEKs, comma- or newline-separated, still accepted to unwrap keys until "
            "`bizdev-crm rotate-kek` has re-wrapped them with the current one"
        ),
    )
    personal_data_kek_previous_file: Path | None = Field(
        default=None, description="A file holding the earlier KEKs instead, one per line"
    )

    def connections(self, role: Role) -> int:
        # Commands and reactions open personal data: every process with the application
        # holds the customer keys' pool too.
        return super().connections(role) + self.key_store_connections

    @cached_property
    def kek_ring(self) -> KeyRing:
        """The KEKs from the secret they were given in; there is deliberately no default, so
        that no deployment runs with a key anyone could read in this repository."""
        current = _secrets(self.personal_data_kek, self.personal_data_kek_file)
        if len(current) != 1:
            raise ValueError(
                "crm needs one key-encryption key for personal data: set "
                "BIZDEV_CRM_PERSONAL_DATA_KEK or BIZDEV_CRM_PERSONAL_DATA_KEK_FILE "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        previous = _secrets(self.personal_data_kek_previous, self.personal_data_kek_previous_file)
        return KeyRing(current[0], previous)

    @field_validator("complaint_response_hours", "complaint_resolution_hours")
    @classmethod
    def _every_severity_positive(cls, hours: dict[str, int]) -> dict[str, int]:
        missing = [s.value for s in Severity if s.value not in hours]
        if missing:
            raise ValueError(f"no response hours for {', '.join(missing)}")
        unknown = sorted(set(hours) - {s.value for s in Severity})
        if unknown:
            raise ValueError(f"unknown severities {', '.join(unknown)}")
        if any(h <= 0 for h in hours.values()):
            raise ValueError("hours must be positive")
        return hours

    @field_validator("complaint_resolution_hours")
    @classmethod
    def _resolution_after_response(
        cls, hours: dict[str, int], info: ValidationInfo
    ) -> dict[str, int]:
        response = info.data.get("complaint_response_hours") or {}
        early = [s for s, h in hours.items() if h < response.get(s, 0)]
        if early:
            raise ValueError(f"resolution hours before the response hours for {', '.join(early)}")
        return hours

    @field_validator("follow_up_cycle_days")
    @classmethod
    def _every_status_a_cycle(cls, days: dict[str, int | None]) -> dict[str, int | None]:
        statuses = {s.value for s in CustomerStatus}
        if set(days) != statuses:
            raise ValueError(f"give the days (or null) for exactly {', '.join(sorted(statuses))}")
        if any(d is not None and d <= 0 for d in days.values()):
            raise ValueError("days between visits must be positive, or null for none")
        return days


def _secrets(value: SecretStr | None, file: Path | None) -> list[str]:
    found = [] if value is None else secrets_of(value.get_secret_value())
    if file is not None:
        found += secrets_of(file.read_text())
    return found
