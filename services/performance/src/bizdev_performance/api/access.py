"""Who reads what of performance: need to know. A person's evaluation, and what rests on it
(their attainment, targets, incentives and sanctions, lead rewards, the reasons of their
moves), is read by that person, their supervisors up the chain, the head of their
department (the department_head of it by token, or the head the organisation names), hr,
management and the auditor, and by no one else. Lists show each reader only those rows;
a record outside them is a 403, decided from the record itself (its event store), so that
it holds before its view has caught up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from bizdev_common.domain import Actor, Forbidden, NotFound, Role
from bizdev_common.readmodel import Condition
from bizdev_common.service import Runtime
from fastapi.concurrency import run_in_threadpool

from bizdev_performance.domain import Evaluation, LeadReward, Person, Target
from bizdev_performance.domain.values import SubjectKind

REFUSED = (
    "a person's performance is read by them, their supervisors, their department's head, hr, "
    "management and the auditor"
)


@dataclass(frozen=True)
class Reach:
    """What one reader may see of people's performance, as conditions on the views' rows."""

    actor: Actor
    schema: str
    heads: tuple[str, ...]
    """The departments they head: by token (department_head of their own) or as the
    organisation names them."""

    @classmethod
    async def of(cls, rt: Runtime[Any, Any], actor: Actor) -> Reach:
        schema = f'"{rt.settings.schema_name}"'
        if actor.reads_all_kept_by(Role.HR):
            return cls(actor, schema, ())
        rows = await rt.pool.fetch(
            f"SELECT department FROM {schema}.departments WHERE head = $1", actor.user_id
        )
        heads = [r["department"] for r in rows]
        if actor.has(Role.DEPARTMENT_HEAD):
            heads.append(actor.department)
        return cls(actor, schema, tuple(heads))

    @property
    def everything(self) -> bool:
        return self.actor.reads_all_kept_by(Role.HR)

    def _below(self) -> str:
        """Everyone under the reader ({} their user id), down every supervisor chain."""
        people = f"{self.schema}.people"
        return (
            f"(WITH RECURSIVE below(u) AS (SELECT user_id FROM {people} WHERE supervisor = {{}} "
            f"UNION SELECT p.user_id FROM {people} p JOIN below b ON p.supervisor = b.u) "
            "SELECT u FROM below)"
        )

    def people(self, person: str = "person", department: str = "department") -> Condition | None:
        """Rows of the people whose performance the reader may see, by their `person` and
        `department` columns; None: every row."""
        if self.everything:
            return None
        me = self.actor.user_id
        return Condition(
            f"{person} = {{}} OR {department} = ANY({{}}::text[]) OR {person} IN {self._below()}",
            (me, list(self.heads), me),
        )

    async def check(
        self, rt: Runtime[Any, Any], person: str, departments: Sequence[str | None]
    ) -> None:
        """A 403 unless the reader may see `person`'s performance (of any of `departments`)."""
        if self.everything or person == self.actor.user_id:
            return
        if any(d is not None and d in self.heads for d in departments):
            return
        below = await rt.pool.fetchval(
            f"SELECT $2 IN {self._below().format('$1')}", self.actor.user_id, person
        )
        if not below:
            raise Forbidden(REFUSED)


async def _found(rt: Runtime[Any, Any], cls: type[Any], record_id: UUID) -> Any:
    found = await run_in_threadpool(rt.application.find, cls, record_id)
    if found is None:
        raise NotFound(f"no {cls.__name__} with id {record_id}")
    return found


async def guard_person(rt: Runtime[Any, Any], actor: Actor, person_id: UUID) -> None:
    """A person's file (the reasons of their moves): who needs to know their performance."""
    reach = await Reach.of(rt, actor)
    if not reach.everything:
        person: Person = await _found(rt, Person, person_id)
        await reach.check(rt, person.user_id, [person.department])


async def guard_evaluation(rt: Runtime[Any, Any], actor: Actor, evaluation_id: UUID) -> None:
    reach = await Reach.of(rt, actor)
    if not reach.everything:
        evaluation: Evaluation = await _found(rt, Evaluation, evaluation_id)
        await reach.check(rt, evaluation.person, [evaluation.department])


async def guard_target(rt: Runtime[Any, Any], actor: Actor, target_id: UUID) -> None:
    """A team's or a department's target is everyone's; a person's, need to know."""
    reach = await Reach.of(rt, actor)
    if not reach.everything:
        target: Target = await _found(rt, Target, target_id)
        if target.subject_kind is SubjectKind.PERSON:
            await reach.check(rt, target.subject, [target.subject_department])


async def guard_lead_reward(rt: Runtime[Any, Any], actor: Actor, reward_id: UUID) -> None:
    reach = await Reach.of(rt, actor)
    if not reach.everything:
        reward: LeadReward = await _found(rt, LeadReward, reward_id)
        if reward.finder is None:  # not converted yet: nobody's but hr's to see
            raise Forbidden(REFUSED)
        await reach.check(rt, reward.finder, [reward.department])
