"""Leads (REGULATIONS 2.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Money,
    Role,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import ApplicationState, require_not_negative

if TYPE_CHECKING:
    from bizdev_projects.domain.project_application import ProjectApplication


class Lead(Aggregate):
    """A business opportunity any employee may submit; its finder is rewarded if it
    becomes an approved project (REGULATIONS 2.1)."""

    class Submitted(Aggregate.Created):
        by: str
        department: str
        customer: str
        need: str
        source: str
        estimated_value: Money

    @event(Submitted)
    def __init__(
        self,
        by: str,
        department: str,
        customer: str,
        need: str,
        source: str,
        estimated_value: Money,
    ) -> None:
        self.finder = by
        self.department = department
        self.customer = customer
        self.need = need
        self.source = source
        self.estimated_value = estimated_value
        self.converted_to: UUID | None = None

    @classmethod
    def submit(
        cls, actor: Actor, customer: str, need: str, source: str, estimated_value: Money
    ) -> Lead:
        require_acting(actor)
        require_role(actor, Role.EMPLOYEE)
        require_text("customer", customer)
        require_text("need", need)
        require_text("source", source)
        require_not_negative("estimated_value", estimated_value)
        return cls(
            by=actor.user_id,
            department=actor.department,
            customer=customer,
            need=need,
            source=source,
            estimated_value=estimated_value,
        )

    class Converted(Aggregate.Event):
        by: str
        finder: str
        department: str
        customer: str
        application_id: UUID
        project_id: UUID

    def convert(self, application: ProjectApplication) -> None:
        """The lead became an approved project: its finder earns the reward (REGULATIONS 2.1).

        Only the first project a lead becomes earns it; a later one changes nothing."""
        approver, project_id = application.approved_by, application.project_id
        if (
            application.state != ApplicationState.APPROVED
            or approver is None
            or project_id is None
            or application.lead_id != self.id
        ):
            raise InvalidTransition("only an approved application from this lead converts it")
        if self.converted_to is not None:
            return
        self._convert(
            by=approver,
            finder=self.finder,
            department=self.department,
            customer=self.customer,
            application_id=application.id,
            project_id=project_id,
        )

    @event(Converted)
    def _convert(
        self,
        by: str,
        finder: str,
        department: str,
        customer: str,
        application_id: UUID,
        project_id: UUID,
    ) -> None:
        self.converted_to = project_id
