"""What the API's modules share."""

from __future__ import annotations

from typing import Annotated

from bizdev_common.api import Command, application, change, create
from fastapi import Depends

from bizdev_finance.application import FinanceApplication

App = Annotated[FinanceApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[FinanceApplication], Depends(change)]
Create = Annotated[Command[FinanceApplication], Depends(create)]
