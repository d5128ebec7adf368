"""The business plan (REGULATIONS 3.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import BudgetCategory, PlanState, Verdict, choice, require_names

if TYPE_CHECKING:
    from bizdev_projects.domain.deviation_report import DeviationReport
    from bizdev_projects.domain.project import Project


@dataclass(frozen=True)
class PlannedMilestone:
    name: str
    due_date: date
    owner: str


@dataclass(frozen=True)
class BudgetLine:
    """A line of the budget. `line_id` names a line of an earlier revision that this one
    keeps (finance books spending against it); None for a new line, which gets its own."""

    category: str
    amount: Money
    description: str = ""
    line_id: UUID | None = None


def _with_line_ids(state: dict[str, Any]) -> None:
    """Upcasts a stored plan event from before budget lines had ids: each line gets the id of
    its position in the plan, so the same position keeps its id in every revision stored
    then, and a replay gives it the same one."""
    plan_id = state["originator_id"]
    state["budget_lines"] = [
        {**line, "line_id": uuid5(plan_id, f"budget-line/{i}")}
        for i, line in enumerate(state["budget_lines"])
    ]


def budget_totals(amounts: Iterable[Money]) -> list[Money]:
    """The total per currency, by currency: amounts in different currencies never add up."""
    totals: dict[str, Money] = {}
    for amount in amounts:
        totals[amount.currency] = (
            totals.get(amount.currency, Money(Decimal(0), amount.currency)) + amount
        )
    return [totals[c] for c in sorted(totals)]


@dataclass(frozen=True)
class PlanContent:
    """What the author writes: a revision replaces all of it."""

    goals: str
    marketing_strategy: str
    product_plan: str
    milestones: Sequence[PlannedMilestone]
    budget_lines: Sequence[BudgetLine]
    review_departments: Sequence[str]

    def as_event_data(
        self,
        milestone_ids: Mapping[str, UUID] | None = None,
        line_ids: Set[UUID] = frozenset(),
    ) -> dict[str, Any]:
        """The plan as its events carry it. Each milestone and budget line gets its id here,
        once, so that a replay gives it the same one: a milestone keeps the id of the earlier
        revision's milestone of its name (and so its progress), a line the id it names among
        `line_ids`, the lines the plan had before; the others get new ones."""
        require_text("goals", self.goals)
        require_text("marketing_strategy", self.marketing_strategy)
        require_text("product_plan", self.product_plan)
        if not self.milestones:
            raise RuleViolation("milestones", "the schedule needs at least one milestone")
        for m in self.milestones:
            require_text("milestones.name", m.name)
            require_text("milestones.owner", m.owner)
        if len({m.name for m in self.milestones}) != len(self.milestones):
            raise RuleViolation("milestones", "milestone names must differ")
        if not self.budget_lines:
            raise RuleViolation("budget_lines", "the plan needs at least one budget line")
        for line in self.budget_lines:
            choice(BudgetCategory, "budget_lines.category", line.category)
            if line.amount.amount <= 0:
                raise RuleViolation(
                    "budget_lines.amount", "a budget line's amount must be positive"
                )
            if line.line_id is not None and line.line_id not in line_ids:
                raise RuleViolation(
                    "budget_lines.line_id",
                    f"the plan has no budget line {line.line_id}: leave line_id out for a new line",
                )
        kept = [line.line_id for line in self.budget_lines if line.line_id is not None]
        if len(set(kept)) != len(kept):
            raise RuleViolation("budget_lines.line_id", "a budget line is kept once")
        known_milestones = milestone_ids or {}
        return {
            "goals": self.goals,
            "marketing_strategy": self.marketing_strategy,
            "product_plan": self.product_plan,
            "milestones": [
                {
                    "id": known_milestones.get(m.name) or uuid4(),
                    "name": m.name,
                    "due_date": m.due_date,
                    "owner": m.owner,
                }
                for m in sorted(self.milestones, key=lambda m: (m.due_date, m.name))
            ],
            "budget_lines": [
                {
                    "line_id": b.line_id or uuid4(),
                    "category": b.category,
                    "amount": b.amount,
                    "description": b.description,
                }
                for b in self.budget_lines
            ],
            "review_departments": require_names("review_departments", self.review_departments),
        }


class BusinessPlan(Aggregate):
    """The business plan of a project (業務策劃方案, REGULATIONS 3.1): one per project, in
    revisions. Each department it names reviews the current revision; it is approved, and so
    becomes the basis of execution, when every one of them passed that revision. Neither the
    plan's author nor whoever wrote the revision reviews it.

    An approved plan is re-planned when management acknowledges a deviation requiring it
    (3.3): the approved revision stays in force while a new one goes through the same
    reviews, and replaces its schedule and budget when every review passed."""

    @staticmethod
    def plan_id_for(project_id: UUID) -> UUID:
        return uuid5(project_id, "business-plan")

    @staticmethod
    def create_id(project_id: UUID) -> UUID:
        return BusinessPlan.plan_id_for(project_id)

    class Drafted(Aggregate.Created):
        class_version = 2
        by: str
        project_id: UUID
        project_name: str
        department: str
        goals: str
        marketing_strategy: str
        product_plan: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        review_departments: list[str]

        upcast_v1_v2 = staticmethod(_with_line_ids)

    @event(Drafted)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.author = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.revision = 1
        self.revised_by: str | None = None
        """Who wrote the current revision, when it is not the first."""
        self.line_ids: set[UUID] = set()
        """Every budget line any revision had: what a later revision may keep."""
        self._set_content(
            goals, marketing_strategy, product_plan, milestones, budget_lines, review_departments
        )
        self.approved_by: str | None = None
        self.approved_revision: int | None = None
        self.approved_milestones: list[dict[str, Any]] = []
        self.approved_budget_lines: list[dict[str, Any]] = []
        """The revision in force: execution and the budget follow it."""
        self.replanning_for: UUID | None = None
        """The deviation report whose acknowledgement required the re-planning under way."""

    def _set_content(
        self,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.goals = goals
        self.marketing_strategy = marketing_strategy
        self.product_plan = product_plan
        self.milestones = [dict(m) for m in milestones]
        self.budget_lines = [dict(b) for b in budget_lines]
        self.line_ids |= {b["line_id"] for b in budget_lines}
        self.review_departments = list(review_departments)
        self.state = PlanState.DRAFT
        self.submitted_by: str | None = None
        self.reviews: dict[str, dict[str, str]] = {}
        """Department → its review (by, verdict, comments) of the current revision."""

    @classmethod
    def draft(
        cls,
        actor: Actor,
        project: Project,
        *,
        existing: BusinessPlan | None,
        content: PlanContent,
    ) -> BusinessPlan:
        require_acting(actor)
        project.require_planner(actor)
        project.require_open("draft a plan")
        if existing is not None:
            raise InvalidTransition(f"project {project.name} already has a plan: revise it")
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            **content.as_event_data(),
        )

    def _require_writer(self, actor: Actor, project: Project, what: str) -> None:
        if actor.user_id != self.author and not project.is_team_lead(actor):
            raise Forbidden(f"only the plan's author or the project's team lead may {what} it")

    def _require_state(self, what: str, *allowed: PlanState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} a plan that is {self.state}")

    class Revised(Aggregate.Event):
        class_version = 2
        by: str
        revision: int
        goals: str
        marketing_strategy: str
        product_plan: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        review_departments: list[str]

        upcast_v1_v2 = staticmethod(_with_line_ids)

    def revise(self, actor: Actor, project: Project, content: PlanContent) -> None:
        """A changed plan is a new revision: the reviews of the last one judged another text.
        When re-planning, the approved revision stays in force meanwhile."""
        require_acting(actor)
        self._require_writer(actor, project, "revise")
        project.require_open("revise its plan")
        self._require_state(
            "revise", PlanState.DRAFT, PlanState.CHANGES_REQUESTED, PlanState.REPLANNING
        )
        data = content.as_event_data(
            milestone_ids={m["name"]: m["id"] for m in self.milestones}, line_ids=self.line_ids
        )
        self._revise(by=actor.user_id, revision=self.revision + 1, **data)

    @event(Revised)
    def _revise(
        self,
        by: str,
        revision: int,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.revision = revision
        self.revised_by = by
        self._set_content(
            goals, marketing_strategy, product_plan, milestones, budget_lines, review_departments
        )

    class Submitted(Aggregate.Event):
        by: str
        project_id: UUID
        project_name: str
        department: str
        revision: int
        review_departments: list[str]

    def submit(self, actor: Actor, project: Project) -> None:
        require_acting(actor)
        self._require_writer(actor, project, "submit")
        project.require_open("submit its plan")
        # A plan sent back goes through revise() first, so that what goes round again is on
        # record as a new revision.
        self._require_state("submit", PlanState.DRAFT)
        self._submit(
            by=actor.user_id,
            project_id=self.project_id,
            project_name=self.project_name,
            department=self.department,
            revision=self.revision,
            review_departments=list(self.review_departments),
        )

    @event(Submitted)
    def _submit(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        revision: int,
        review_departments: list[str],
    ) -> None:
        self.state = PlanState.IN_REVIEW
        self.submitted_by = by

    class Reviewed(Aggregate.Event):
        by: str
        project_id: UUID
        revision: int
        reviewing_department: str
        verdict: str
        comments: str

    class Approved(Aggregate.Event):
        class_version = 2
        by: str
        project_id: UUID
        project_name: str
        department: str
        revision: int
        goals: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        budget_totals: list[Money]
        review_departments: list[str]
        replaces_revision: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _with_line_ids(state)
            state["replaces_revision"] = None

    def review(self, actor: Actor, project: Project, *, verdict: str, comments: str) -> None:
        """The head of a named department passes the current revision or asks for changes
        (with comments). The pass that completes every requested review approves the plan."""
        require_acting(actor)
        department = next((d for d in self.review_departments if actor.is_head_of(d)), None)
        if department is None:
            heads = ", ".join(self.review_departments)
            raise Forbidden(f"only the heads of the departments it names ({heads}) review it")
        # Whoever wrote the plan, or this revision of it, or sent it to review, does not judge it.
        require_not_self(actor, self.author, "review")
        if self.revised_by is not None:
            require_not_self(actor, self.revised_by, "review")
        if self.submitted_by is not None:
            require_not_self(actor, self.submitted_by, "review")
        project.require_open("review its plan")
        # A plan sent back waits for its next revision: a review now would judge a text the
        # author is already changing, and could not count towards approving the next one.
        self._require_state("review", PlanState.IN_REVIEW)
        if department in self.reviews:
            raise InvalidTransition(f"{department} already reviewed revision {self.revision}")
        chosen = choice(Verdict, "verdict", verdict)
        if chosen == Verdict.CHANGES_REQUESTED:
            require_text("comments", comments)
        self._review(
            by=actor.user_id,
            project_id=self.project_id,
            revision=self.revision,
            reviewing_department=department,
            verdict=chosen,
            comments=comments,
        )
        if self._every_review_passed():
            self._approve(
                by=actor.user_id,
                project_id=self.project_id,
                project_name=self.project_name,
                department=self.department,
                revision=self.revision,
                goals=self.goals,
                milestones=[dict(m) for m in self.milestones],
                budget_lines=[dict(b) for b in self.budget_lines],
                budget_totals=budget_totals(b["amount"] for b in self.budget_lines),
                review_departments=list(self.review_departments),
                replaces_revision=self.approved_revision,
            )

    def _every_review_passed(self) -> bool:
        return all(
            self.reviews.get(d, {}).get("verdict") == Verdict.PASSED
            for d in self.review_departments
        )

    @event(Reviewed)
    def _review(
        self,
        by: str,
        project_id: UUID,
        revision: int,
        reviewing_department: str,
        verdict: str,
        comments: str,
    ) -> None:
        self.reviews[reviewing_department] = {"by": by, "verdict": verdict, "comments": comments}
        if verdict == Verdict.CHANGES_REQUESTED:
            self.state = PlanState.CHANGES_REQUESTED

    @event(Approved)
    def _approve(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        revision: int,
        goals: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        budget_totals: list[Money],
        review_departments: list[str],
        replaces_revision: int | None,
    ) -> None:
        self.state = PlanState.APPROVED
        self.approved_by = by
        self.approved_revision = revision
        self.approved_milestones = [dict(m) for m in milestones]
        self.approved_budget_lines = [dict(b) for b in budget_lines]
        self.replanning_for = None

    class ReplanningRequired(Aggregate.Event):
        by: str
        project_id: UUID
        project_name: str
        department: str
        deviation_id: UUID
        approved_revision: int

    def require_replanning(self, actor: Actor, project: Project, report: DeviationReport) -> None:
        """Management acknowledged a deviation of the project requiring re-planning (3.3): the
        author or the team lead writes a new revision. Already under way (another deviation
        required it, or the authors began one), it changes nothing."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        project.require_open("re-plan")
        if report.project_id != self.project_id or not report.replan_required:
            raise InvalidTransition(
                "only a deviation of this project acknowledged with re-planning re-plans it"
            )
        if self.approved_revision is None:
            raise InvalidTransition(
                f"project {self.project_name}'s plan has no approved revision to re-plan"
            )
        if self.state != PlanState.APPROVED:
            return
        self._require_replanning(
            by=actor.user_id,
            project_id=self.project_id,
            project_name=self.project_name,
            department=self.department,
            deviation_id=report.id,
            approved_revision=self.approved_revision,
        )

    @event(ReplanningRequired)
    def _require_replanning(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        deviation_id: UUID,
        approved_revision: int,
    ) -> None:
        self.state = PlanState.REPLANNING
        self.replanning_for = deviation_id
