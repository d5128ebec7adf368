"""The variance threshold is the finance service's setting (BIZDEV_FINANCE_*)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bizdev_common.settings import settings_for
from bizdev_finance.settings import FinanceSettings
from pydantic import ValidationError


def test_the_variance_threshold_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings_for(FinanceSettings, "finance").variance_threshold_percent == Decimal(10)
    monkeypatch.setenv("BIZDEV_FINANCE_VARIANCE_THRESHOLD_PERCENT", "12.5")
    assert settings_for(FinanceSettings, "finance").variance_threshold_percent == Decimal("12.5")
    for wrong in ("-1", "1000.01", "5.125", "ten"):
        monkeypatch.setenv("BIZDEV_FINANCE_VARIANCE_THRESHOLD_PERCENT", wrong)
        with pytest.raises(ValidationError):
            settings_for(FinanceSettings, "finance")
