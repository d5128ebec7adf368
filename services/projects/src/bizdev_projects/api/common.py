"""What the API's modules share."""

from __future__ import annotations

import json
from typing import Annotated, Any

from bizdev_common.boundary import Name
from bizdev_common.contract import MoneyModel
from bizdev_common.service import Runtime
from pydantic import Field

from bizdev_projects.application import ProjectsApplication

UserId = Annotated[Name, Field(description="A user id")]


def app_of(rt: Runtime[ProjectsApplication, Any]) -> ProjectsApplication:
    return rt.application


def money_list(value: str) -> list[MoneyModel]:
    return [MoneyModel.model_validate(m) for m in json.loads(value)]
