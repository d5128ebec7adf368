"""crm's own configuration: complaint response deadlines per severity, from the environment."""

from __future__ import annotations

import pytest
from bizdev_common.settings import ServiceSettings, settings_for
from bizdev_crm.settings import CrmSettings
from pydantic import ValidationError

VARIABLE = "BIZDEV_CRM_COMPLAINT_RESPONSE_HOURS"


def test_defaults_cover_every_severity() -> None:
    assert CrmSettings(service="crm").complaint_response_hours == {
        "low": 72,
        "medium": 24,
        "high": 8,
        "critical": 2,
    }


def test_deadlines_are_read_as_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, '{"low": 96, "medium": 48, "high": 12, "critical": 4}')
    settings = settings_for(CrmSettings, "crm")
    assert settings.complaint_response_hours["critical"] == 4
    assert settings.schema_name == "crm"


@pytest.mark.parametrize(
    "hours",
    [
        '{"low": 72, "medium": 24, "high": 8}',
        '{"low": 72, "medium": 24, "high": 8, "critical": 0}',
        '{"low": 72, "medium": 24, "high": 8, "critical": 2, "urgent": 1}',
    ],
)
def test_incomplete_or_nonsensical_deadlines_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, hours: str
) -> None:
    monkeypatch.setenv(VARIABLE, hours)
    with pytest.raises(ValidationError):
        settings_for(CrmSettings, "crm")


def test_every_crm_process_also_holds_the_customer_keys_pool() -> None:
    crm = CrmSettings(service="crm", key_store_connections=3)
    for role in ("api", "worker"):
        assert crm.connections(role) == ServiceSettings.connections(crm, role) + 3


def test_resolution_deadlines_and_visit_cycles_default_for_every_severity_and_status() -> None:
    settings = CrmSettings(service="crm")
    assert set(settings.complaint_resolution_hours) == set(settings.complaint_response_hours)
    assert settings.follow_up_cycle_days["lost"] is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # a solution due before the answer
        ("BIZDEV_CRM_COMPLAINT_RESOLUTION_HOURS", '{"low": 24, "medium": 48, "high": 48, '
                                                  '"critical": 24}'),
        ("BIZDEV_CRM_FOLLOW_UP_CYCLE_DAYS", '{"prospect": 30, "active": 30, "dormant": 90}'),
        ("BIZDEV_CRM_FOLLOW_UP_CYCLE_DAYS", '{"prospect": 0, "active": 30, "dormant": 90, '
                                            '"lost": null}'),
    ],
)  # fmt: skip
def test_nonsensical_resolution_deadlines_or_cycles_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        settings_for(CrmSettings, "crm")
