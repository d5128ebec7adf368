"""What the API's modules share: the application and decimal inputs."""

from __future__ import annotations

from typing import Annotated

from bizdev_common.api import Command, application, change, create
from fastapi import Depends
from pydantic import Field

from bizdev_performance.application import PerformanceApplication

DECIMAL = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"
DecimalIn = Annotated[
    str,
    Field(
        pattern=DECIMAL,
        description='A non-negative decimal as a string, e.g. "1250000.00" or "4.5"',
        examples=["100"],
    ),
]
"""A figure a client sends: a string, like money's amounts, so no float rounding reaches it."""
SCORE = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
ScoreIn = Annotated[
    str, Field(pattern=SCORE, description='A score from 0 to 150, e.g. "60"', examples=["60"])
]


App = Annotated[PerformanceApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[PerformanceApplication], Depends(change)]
Create = Annotated[Command[PerformanceApplication], Depends(create)]
