"""What the API's modules share."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from bizdev_common.service import Runtime
from pydantic import Field

from bizdev_finance.application import FinanceApplication

Percent = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$",
        description='A percentage as a decimal string, 0 to 100, e.g. "5" or "7.5"',
        examples=["5"],
    ),
]


def percent(value: str) -> Decimal:
    return Decimal(value)


def app_of(rt: Runtime[FinanceApplication, Any]) -> FinanceApplication:
    return rt.application
