"""What the API's modules share."""

from __future__ import annotations

import json
from typing import Annotated

from bizdev_common.api import Command, application, change, create
from bizdev_common.boundary import Name
from bizdev_common.contract import MoneyModel
from fastapi import Depends
from pydantic import Field

from bizdev_projects.application import ProjectsApplication

UserId = Annotated[Name, Field(description="A user id")]


App = Annotated[ProjectsApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[ProjectsApplication], Depends(change)]
Create = Annotated[Command[ProjectsApplication], Depends(create)]


def money_list(value: str) -> list[MoneyModel]:
    return [MoneyModel.model_validate(m) for m in json.loads(value)]
