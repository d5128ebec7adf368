"""What the API's modules share: the application, and who reads what (need to know).

- The risk officer, management and the auditor read the whole register, the indicators,
  alerts, rounds and meetings (REGULATIONS, Roles: the risk officer keeps the register and
  the KRIs, management decides on it, the auditor reads everything).
- A department head reads their department's risks, and the rounds that ask it.
- Anyone else reads the risks they raised or are responsible for a measure of.
Indicators and alerts name customers and projects across departments: the three roles
above only."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from bizdev_common.api import Command, application, change, create
from bizdev_common.domain import Actor, Forbidden, Role
from bizdev_common.readmodel import Condition
from fastapi import Depends

from bizdev_risk.application import RiskApplication

App = Annotated[RiskApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[RiskApplication], Depends(change)]
Create = Annotated[Command[RiskApplication], Depends(create)]


def reads_all(actor: Actor) -> bool:
    return actor.reads_all_kept_by(Role.RISK_OFFICER)


def require_reads_all(actor: Actor) -> None:
    if not reads_all(actor):
        raise Forbidden("this is read by the risk officer, management and the auditor")


def visible_risks(actor: Actor) -> Condition | None:
    """The risks `actor` may read, as a clause on the risks table (None: all)."""
    if reads_all(actor):
        return None
    if actor.has(Role.DEPARTMENT_HEAD):
        return Condition("department = {} OR {} = ANY(people)", (actor.department, actor.user_id))
    return Condition("{} = ANY(people)", (actor.user_id,))


def require_sees_risk(actor: Actor, row: asyncpg.Record) -> None:
    if reads_all(actor):
        return
    if actor.has(Role.DEPARTMENT_HEAD) and row["department"] == actor.department:
        return
    if actor.user_id in row["people"]:
        return
    raise Forbidden("a risk is read by its department's head and the people working on it")
