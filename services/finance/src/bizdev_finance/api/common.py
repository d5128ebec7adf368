"""What the API's modules share."""

from __future__ import annotations

from typing import Any

from bizdev_common.service import Runtime

from bizdev_finance.application import FinanceApplication


def app_of(rt: Runtime[FinanceApplication, Any]) -> FinanceApplication:
    return rt.application
