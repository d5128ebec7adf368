"""Who reads what of finance (REGULATIONS, Roles: finance keeps budgets and cost accounting,
the auditor reads everything). Management, finance and auditors read everything; the head of
a department reads its projects' budgets, spending, reports and receivables (a project's
department is the one its approved plan names, a receivable's the contract's); the team lead
projects appointed reads that project's; anyone reads the expenses they requested. Nothing
else: a list shows only what its reader may see, a record they may not read is a 403."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from bizdev_common.api import schema_of
from bizdev_common.domain import Actor, Forbidden, NotFound, Role
from bizdev_common.readmodel import Condition
from bizdev_common.service import Runtime


@dataclass(frozen=True)
class Reach:
    """What one reader may see, as conditions on the views' rows."""

    actor: Actor
    schema: str

    @classmethod
    def of(cls, rt: Runtime[Any, Any], actor: Actor) -> Reach:
        return cls(actor, schema_of(rt))

    @property
    def everything(self) -> bool:
        return self.actor.reads_all_kept_by(Role.FINANCE)

    @property
    def _head_of(self) -> str | None:
        return self.actor.department if Role.DEPARTMENT_HEAD in self.actor.roles else None

    def _led(self, column: str) -> str:
        """`column` is a project the reader was appointed team lead of ({} their user id)."""
        leads = f"{self.schema}.project_team_leads"
        return f"{column} IN (SELECT project_id FROM {leads} WHERE team_lead = {{}})"

    def projects(self, column: str = "project_id") -> Condition | None:
        """Rows of the projects the reader may see, by their `column`; None: every row."""
        if self.everything:
            return None
        led = self._led(column)
        if self._head_of is None:
            return Condition(led, (self.actor.user_id,))
        mine = f"{column} IN (SELECT project_id FROM {self.schema}.budgets WHERE department = {{}})"
        return Condition(f"{mine} OR {led}", (self._head_of, self.actor.user_id))

    def expenses(self) -> Condition | None:
        """Expenses of the projects the reader may see, and those they requested."""
        projects = self.projects()
        if projects is None:
            return None
        return Condition(
            f"{projects.sql} OR requester = {{}}", (*projects.args, self.actor.user_id)
        )

    def receivables(
        self, department: str = "department", project: str = "project_id"
    ) -> Condition | None:
        """Receivables of the reader's department (as head) or of a project they lead."""
        if self.everything:
            return None
        led = self._led(project)
        if self._head_of is None:
            return Condition(led, (self.actor.user_id,))
        return Condition(f"{department} = {{}} OR {led}", (self._head_of, self.actor.user_id))

    async def check(self, rt: Runtime[Any, Any], table: str, record_id: UUID) -> None:
        """A 403 unless the reader may see the record (a budget or a receivable)."""
        if self.everything:
            return
        condition = self.projects() if table == "budgets" else self.receivables()
        assert condition is not None
        args: list[Any] = [record_id]
        # coalesce: a receivable of no project makes the team lead's clause null, not false.
        found = await rt.pool.fetchval(
            f"SELECT coalesce({condition.render(args)}, false) "
            f"FROM {self.schema}.{table} WHERE id = $1",
            *args,
        )
        if found is None:
            raise NotFound(f"no {table[:-1]} {record_id}")
        if not found:
            raise Forbidden(
                f"{table} are read by management, finance, auditors, the head of the "
                "department and the project's team lead"
            )

    def sql(self, condition: Condition | None, first: int) -> tuple[str, tuple[Any, ...]]:
        """`condition` as an SQL clause (AND-able) whose placeholders start at `$first`."""
        if condition is None:
            return "true", ()
        marks = [f"${n}" for n in range(first, first + len(condition.args))]
        return f"({condition.sql.format(*marks)})", condition.args


async def guard_budget(rt: Runtime[Any, Any], actor: Actor, budget_id: UUID) -> None:
    await Reach.of(rt, actor).check(rt, "budgets", budget_id)


async def guard_receivable(rt: Runtime[Any, Any], actor: Actor, receivable_id: UUID) -> None:
    await Reach.of(rt, actor).check(rt, "receivables", receivable_id)
