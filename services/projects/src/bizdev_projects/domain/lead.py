"""Leads (REGULATIONS 2.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import ApplicationState, LeadState, require_not_negative

if TYPE_CHECKING:
    from bizdev_projects.domain.project_application import ProjectApplication


class Lead(Aggregate):
    """A business opportunity any employee may submit; its finder is rewarded if it
    becomes an approved project (REGULATIONS 2.1). The head of the finder's department or
    management qualifies it or discards it with reasons; it names a crm customer once one is
    known (the application layer checks the id against the customers crm announced)."""

    class Submitted(Aggregate.Created):
        class_version = 2
        by: str
        department: str
        customer: str
        need: str
        source: str
        estimated_value: Money
        customer_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["customer_id"] = None

    @event(Submitted)
    def __init__(
        self,
        by: str,
        department: str,
        customer: str,
        need: str,
        source: str,
        estimated_value: Money,
        customer_id: UUID | None,
    ) -> None:
        self.finder = by
        self.department = department
        self.customer = customer
        self.need = need
        self.source = source
        self.estimated_value = estimated_value
        self.customer_id = customer_id
        self.state = LeadState.SUBMITTED
        self.discard_reasons: str | None = None
        self.converted_to: UUID | None = None

    @classmethod
    def submit(
        cls,
        actor: Actor,
        customer: str,
        need: str,
        source: str,
        estimated_value: Money,
        customer_id: UUID | None = None,
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
            customer_id=customer_id,
        )

    def _require_judge(self, actor: Actor, what: str) -> None:
        """The head of the finder's department or management judges a lead, never its finder,
        whom a qualified lead brings nearer a reward."""
        require_acting(actor)
        if not (actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)):
            raise Forbidden(
                f"only the head of department {self.department} or management may {what} this lead"
            )
        require_not_self(actor, self.finder, what)

    def _require_state(self, what: str, *allowed: LeadState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} a lead that is {self.state}")

    class Qualified(Aggregate.Event):
        by: str
        finder: str
        department: str
        customer: str
        customer_id: UUID | None
        note: str

    def qualify(self, actor: Actor, *, note: str = "", customer_id: UUID | None = None) -> None:
        """Worth an initiation application; names the crm customer when one is known by now
        (else keeps the one named before). A discarded lead may be qualified after all."""
        self._require_judge(actor, "qualify")
        self._require_state("qualify", LeadState.SUBMITTED, LeadState.DISCARDED)
        self._qualify(
            by=actor.user_id,
            finder=self.finder,
            department=self.department,
            customer=self.customer,
            customer_id=self.customer_id if customer_id is None else customer_id,
            note=note,
        )

    @event(Qualified)
    def _qualify(
        self,
        by: str,
        finder: str,
        department: str,
        customer: str,
        customer_id: UUID | None,
        note: str,
    ) -> None:
        self.state = LeadState.QUALIFIED
        self.customer_id = customer_id
        self.discard_reasons = None

    class Discarded(Aggregate.Event):
        by: str
        finder: str
        department: str
        customer: str
        reasons: str

    def discard(self, actor: Actor, *, reasons: str) -> None:
        self._require_judge(actor, "discard")
        self._require_state("discard", LeadState.SUBMITTED, LeadState.QUALIFIED)
        require_text("reasons", reasons)
        self._discard(
            by=actor.user_id,
            finder=self.finder,
            department=self.department,
            customer=self.customer,
            reasons=reasons,
        )

    @event(Discarded)
    def _discard(self, by: str, finder: str, department: str, customer: str, reasons: str) -> None:
        self.state = LeadState.DISCARDED
        self.discard_reasons = reasons

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
        self.state = LeadState.CONVERTED
