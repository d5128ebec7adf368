"""The organisation, owned by hr: people (user id as in tokens, name, department, position,
supervisor) and departments with their heads. Rating relations and need-to-know come from it."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_performance.domain.values import NAMESPACE

_PEOPLE = uuid5(NAMESPACE, "person")
_DEPARTMENTS = uuid5(NAMESPACE, "department")


def _hr(actor: Actor) -> None:
    require_acting(actor)
    require_role(actor, Role.HR)


class Person(Aggregate):
    """A person of the organisation, keyed by the user id their tokens carry. hr records them,
    moves them, assigns their supervisor and records their leaving; nobody in hr changes
    their own record."""

    @staticmethod
    def create_id(user_id: str) -> UUID:
        return uuid5(_PEOPLE, user_id)

    class Joined(Aggregate.Created):
        by: str
        user_id: str
        name: str
        department: str
        position: str
        supervisor: str | None
        joined_on: date

    @classmethod
    def join(
        cls,
        actor: Actor,
        *,
        user_id: str,
        name: str,
        department: str,
        position: str,
        supervisor: str | None,
        joined_on: date,
    ) -> Person:
        _hr(actor)
        if actor.user_id == user_id:
            raise Forbidden("nobody in hr records themself")
        for field, value in (
            ("user_id", user_id),
            ("name", name),
            ("department", department),
            ("position", position),
        ):
            require_text(field, value)
        if supervisor == user_id:
            raise RuleViolation("supervisor", "nobody supervises themself")
        return cls._create(
            cls.Joined,
            id=cls.create_id(user_id),
            by=actor.user_id,
            user_id=user_id,
            name=name,
            department=department,
            position=position,
            supervisor=supervisor,
            joined_on=joined_on,
        )

    @event(Joined)
    def __init__(
        self,
        by: str,
        user_id: str,
        name: str,
        department: str,
        position: str,
        supervisor: str | None,
        joined_on: date,
    ) -> None:
        self.user_id = user_id
        self.name = name
        self.department = department
        self.position = position
        self.supervisor = supervisor
        self.joined_on = joined_on
        self.left_on: date | None = None

    def _active(self, actor: Actor) -> None:
        _hr(actor)
        if actor.user_id == self.user_id:
            raise Forbidden("nobody in hr changes their own record")
        if self.left_on is not None:
            raise InvalidTransition(f"{self.user_id} left on {self.left_on}")

    class Moved(Aggregate.Event):
        by: str
        user_id: str
        department: str
        position: str
        previous_department: str
        previous_position: str
        reason: str

    def move(self, actor: Actor, *, department: str, position: str, reason: str) -> None:
        """Another department or position (a promotion, a transfer)."""
        self._active(actor)
        require_text("department", department)
        require_text("position", position)
        require_text("reason", reason)
        if (department, position) == (self.department, self.position):
            raise RuleViolation("position", "that is the department and position they have")
        self._move(
            by=actor.user_id,
            user_id=self.user_id,
            department=department,
            position=position,
            previous_department=self.department,
            previous_position=self.position,
            reason=reason,
        )

    @event(Moved)
    def _move(
        self,
        by: str,
        user_id: str,
        department: str,
        position: str,
        previous_department: str,
        previous_position: str,
        reason: str,
    ) -> None:
        self.department = department
        self.position = position

    class SupervisorAssigned(Aggregate.Event):
        by: str
        user_id: str
        supervisor: str
        previous_supervisor: str | None

    def assign_supervisor(self, actor: Actor, supervisor: str, chain: list[str]) -> None:
        """`chain`: the new supervisor's own chain upwards, which must not lead back here."""
        self._active(actor)
        require_text("supervisor", supervisor)
        if supervisor == self.user_id or self.user_id in chain:
            raise RuleViolation("supervisor", "a supervisor chain never leads back to itself")
        if supervisor == self.supervisor:
            raise RuleViolation("supervisor", f"{supervisor} already supervises {self.user_id}")
        self._assign(
            by=actor.user_id,
            user_id=self.user_id,
            supervisor=supervisor,
            previous_supervisor=self.supervisor,
        )

    @event(SupervisorAssigned)
    def _assign(
        self, by: str, user_id: str, supervisor: str, previous_supervisor: str | None
    ) -> None:
        self.supervisor = supervisor

    class Left(Aggregate.Event):
        by: str
        user_id: str
        department: str
        left_on: date
        reason: str

    def leave(self, actor: Actor, *, left_on: date, reason: str) -> None:
        self._active(actor)
        require_text("reason", reason)
        if left_on < self.joined_on:
            raise RuleViolation("left_on", f"{self.user_id} joined on {self.joined_on}")
        self._leave(
            by=actor.user_id,
            user_id=self.user_id,
            department=self.department,
            left_on=left_on,
            reason=reason,
        )

    @event(Left)
    def _leave(self, by: str, user_id: str, department: str, left_on: date, reason: str) -> None:
        self.left_on = left_on


class Department(Aggregate):
    """A department and its head, appointed by hr (the head reads their department's
    evaluations)."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_DEPARTMENTS, name)

    class HeadAppointed(Aggregate.Event):
        by: str
        department: str
        head: str
        previous_head: str | None

    class Established(Aggregate.Created):
        by: str
        department: str
        head: str

    @classmethod
    def establish(cls, actor: Actor, name: str, head: str) -> Department:
        _hr(actor)
        require_text("department", name)
        require_text("head", head)
        return cls._create(
            cls.Established, id=cls.create_id(name), by=actor.user_id, department=name, head=head
        )

    @event(Established)
    def __init__(self, by: str, department: str, head: str) -> None:
        self.name = department
        self.head = head

    def appoint_head(self, actor: Actor, head: str) -> None:
        _hr(actor)
        require_text("head", head)
        if head == self.head:
            raise RuleViolation("head", f"{head} already heads {self.name}")
        self._appoint(by=actor.user_id, department=self.name, head=head, previous_head=self.head)

    @event(HeadAppointed)
    def _appoint(self, by: str, department: str, head: str, previous_head: str | None) -> None:
        self.head = head
