"""Initiation applications (REGULATIONS 2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

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

from bizdev_projects.domain.project import Project
from bizdev_projects.domain.values import (
    ApplicationState,
    LeadState,
    ReviewedAs,
    require_not_negative,
)

if TYPE_CHECKING:
    from bizdev_projects.domain.lead import Lead


@dataclass(frozen=True)
class Assessment:
    """Management's assessment that an approval records (REGULATIONS 2.3): why the project is
    worth opening, as a rejection says why not."""

    strategic_fit: str
    market_outlook: str
    economic_benefit: str

    def require_complete(self) -> None:
        require_text("strategic_fit", self.strategic_fit)
        require_text("market_outlook", self.market_outlook)
        require_text("economic_benefit", self.economic_benefit)


class ProjectApplication(Aggregate):
    """The initiation application form (《業務立項申請表》, REGULATIONS 2.2)."""

    class Drafted(Aggregate.Created):
        by: str
        department: str
        title: str
        background: str
        target_customers: str
        expected_revenue: Money
        preliminary_plan: str
        lead_id: UUID | None
        customer_id: UUID | None

    @event(Drafted)
    def __init__(
        self,
        by: str,
        department: str,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
        lead_id: UUID | None,
        customer_id: UUID | None,
    ) -> None:
        self.applicant = by
        self.department = department
        self.title = title
        self.background = background
        self.target_customers = target_customers
        self.expected_revenue = expected_revenue
        self.preliminary_plan = preliminary_plan
        self.lead_id = lead_id
        self.customer_id = customer_id
        self.state = ApplicationState.DRAFT
        self.opinion: dict[str, str | bool] | None = None
        self.decision_reasons: str | None = None
        self.approved_by: str | None = None
        self.project_id: UUID | None = None
        self.applicant_is_head = False
        self.assessment: dict[str, str] | None = None

    @classmethod
    def draft(
        cls,
        actor: Actor,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
        lead: Lead | None = None,
        customer_id: UUID | None = None,
    ) -> ProjectApplication:
        require_acting(actor)
        require_role(actor, Role.EMPLOYEE)
        require_text("title", title)
        require_text("background", background)
        require_text("target_customers", target_customers)
        require_text("preliminary_plan", preliminary_plan)
        require_not_negative("expected_revenue", expected_revenue)
        if lead is not None and lead.state == LeadState.DISCARDED:
            raise RuleViolation("lead_id", f"lead {lead.id} was discarded: {lead.discard_reasons}")
        return cls(
            by=actor.user_id,
            department=actor.department,
            title=title,
            background=background,
            target_customers=target_customers,
            expected_revenue=expected_revenue,
            preliminary_plan=preliminary_plan,
            lead_id=None if lead is None else lead.id,
            customer_id=customer_id,
        )

    def _require_applicant(self, actor: Actor, what: str) -> None:
        if actor.user_id != self.applicant:
            raise Forbidden(f"only the applicant may {what} this application")

    def _require_state(self, what: str, *allowed: ApplicationState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} an application that is {self.state}")

    def _require_not_finder(self, actor: Actor, lead: Lead | None, what: str) -> None:
        """The finder of the lead this application follows is rewarded when it is approved
        (REGULATIONS 2.1): they neither review nor decide it."""
        if self.lead_id is None:
            return
        if lead is None or lead.id != self.lead_id:
            raise ValueError(f"the lead {self.lead_id} this application follows must be given")
        if actor.user_id == lead.finder:
            raise Forbidden(
                f"the finder of the lead this application follows may not {what} it: "
                "they are rewarded when it is approved"
            )

    def _require_decider(self, actor: Actor, lead: Lead | None, what: str) -> None:
        """Management decides, and nobody who applied, reviewed or found the lead does: one
        person never both signs the opinion and decides (REGULATIONS, Roles)."""
        require_role(actor, Role.MANAGEMENT)
        require_not_self(actor, self.applicant, what)
        if self.opinion is not None and actor.user_id == self.opinion["reviewer"]:
            raise Forbidden(f"whoever reviewed this application may not also {what} it")
        self._require_not_finder(actor, lead, what)

    class Revised(Aggregate.Event):
        by: str
        title: str
        background: str
        target_customers: str
        expected_revenue: Money
        preliminary_plan: str

    def revise(
        self,
        actor: Actor,
        *,
        title: str | None = None,
        background: str | None = None,
        target_customers: str | None = None,
        expected_revenue: Money | None = None,
        preliminary_plan: str | None = None,
    ) -> None:
        require_acting(actor)
        self._require_applicant(actor, "revise")
        self._require_state("revise", ApplicationState.DRAFT, ApplicationState.REJECTED)
        texts = {
            "title": title,
            "background": background,
            "target_customers": target_customers,
            "preliminary_plan": preliminary_plan,
        }
        if expected_revenue is None and all(v is None for v in texts.values()):
            raise RuleViolation("body", "a revision must change at least one field")
        for name, value in texts.items():
            if value is not None:
                require_text(name, value)
        if expected_revenue is not None:
            require_not_negative("expected_revenue", expected_revenue)
        # The event carries the whole revised form, so that a reader of the history sees
        # what was resubmitted without folding earlier revisions.
        self._revise(
            by=actor.user_id,
            title=self.title if title is None else title,
            background=self.background if background is None else background,
            target_customers=(
                self.target_customers if target_customers is None else target_customers
            ),
            expected_revenue=(
                self.expected_revenue if expected_revenue is None else expected_revenue
            ),
            preliminary_plan=(
                self.preliminary_plan if preliminary_plan is None else preliminary_plan
            ),
        )

    @event(Revised)
    def _revise(
        self,
        by: str,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
    ) -> None:
        self.title = title
        self.background = background
        self.target_customers = target_customers
        self.expected_revenue = expected_revenue
        self.preliminary_plan = preliminary_plan
        # A revised rejection starts over: the old opinion and reasons judged another text.
        self.state = ApplicationState.DRAFT
        self.opinion = None
        self.decision_reasons = None

    class Submitted(Aggregate.Event):
        class_version = 2
        by: str
        department: str
        title: str
        applicant: str
        applicant_is_head: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["applicant_is_head"] = False

    def submit(self, actor: Actor) -> None:
        require_acting(actor)
        self._require_applicant(actor, "submit")
        # A rejected application goes through revise() first, so that what is resubmitted
        # is on record as changed.
        self._require_state("submit", ApplicationState.DRAFT)
        self._submit(
            by=actor.user_id,
            department=self.department,
            title=self.title,
            applicant=self.applicant,
            # Recorded as submitted: a head cannot sign the opinion on their own proposal,
            # so management reviews it instead.
            applicant_is_head=actor.is_head_of(self.department),
        )

    @event(Submitted)
    def _submit(
        self, by: str, department: str, title: str, applicant: str, applicant_is_head: bool
    ) -> None:
        self.state = ApplicationState.SUBMITTED
        self.applicant_is_head = applicant_is_head

    @property
    def reviewer_role(self) -> ReviewedAs:
        """Who signs the opinion: the head of the applicant's department, or management when
        the applicant is that head."""
        return ReviewedAs.MANAGEMENT if self.applicant_is_head else ReviewedAs.DEPARTMENT_HEAD

    class DepartmentReviewed(Aggregate.Event):
        class_version = 2
        by: str
        recommend: bool
        feasibility: str
        market_outlook: str
        resource_needs: str
        reviewed_as: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reviewed_as"] = ReviewedAs.DEPARTMENT_HEAD.value

    def review(
        self,
        actor: Actor,
        *,
        recommend: bool,
        feasibility: str,
        market_outlook: str,
        resource_needs: str,
        lead: Lead | None = None,
    ) -> None:
        require_acting(actor)
        reviewed_as = self.reviewer_role
        if reviewed_as == ReviewedAs.MANAGEMENT:
            if not actor.has(Role.MANAGEMENT):
                raise Forbidden(
                    f"the applicant heads department {self.department}: management reviews "
                    "this application instead"
                )
        elif not actor.is_head_of(self.department):
            raise Forbidden(
                f"only the head of department {self.department} may review this application"
            )
        require_not_self(actor, self.applicant, "review")
        self._require_not_finder(actor, lead, "review")
        self._require_state("review", ApplicationState.SUBMITTED)
        require_text("feasibility", feasibility)
        require_text("market_outlook", market_outlook)
        require_text("resource_needs", resource_needs)
        self._review(
            by=actor.user_id,
            recommend=recommend,
            feasibility=feasibility,
            market_outlook=market_outlook,
            resource_needs=resource_needs,
            reviewed_as=reviewed_as.value,
        )

    @event(DepartmentReviewed)
    def _review(
        self,
        by: str,
        recommend: bool,
        feasibility: str,
        market_outlook: str,
        resource_needs: str,
        reviewed_as: str,
    ) -> None:
        self.state = ApplicationState.DEPARTMENT_REVIEWED
        self.opinion = {
            "reviewer": by,
            "recommend": recommend,
            "feasibility": feasibility,
            "market_outlook": market_outlook,
            "resource_needs": resource_needs,
            "reviewed_as": reviewed_as,
        }

    class Approved(Aggregate.Event):
        class_version = 2
        by: str
        comments: str
        department: str
        title: str
        applicant: str
        expected_revenue: Money
        lead_id: UUID | None
        customer_id: UUID | None
        project_id: UUID
        strategic_fit: str
        market_outlook: str
        economic_benefit: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Approved before an approval had to record its assessment.
            state.update(strategic_fit="", market_outlook="", economic_benefit="")

    def approve(
        self,
        actor: Actor,
        assessment: Assessment,
        *,
        comments: str = "",
        lead: Lead | None = None,
    ) -> None:
        require_acting(actor)
        self._require_decider(actor, lead, "approve")
        self._require_state("approve", ApplicationState.DEPARTMENT_REVIEWED)
        assessment.require_complete()
        self._approve(
            by=actor.user_id,
            comments=comments,
            department=self.department,
            title=self.title,
            applicant=self.applicant,
            expected_revenue=self.expected_revenue,
            lead_id=self.lead_id,
            customer_id=self.customer_id,
            # Named in the approval itself, so a reader of this application's events alone
            # knows its project, whatever order it sees other aggregates' events in.
            project_id=Project.project_id_for(self.id),
            strategic_fit=assessment.strategic_fit,
            market_outlook=assessment.market_outlook,
            economic_benefit=assessment.economic_benefit,
        )

    @event(Approved)
    def _approve(
        self,
        by: str,
        comments: str,
        department: str,
        title: str,
        applicant: str,
        expected_revenue: Money,
        lead_id: UUID | None,
        customer_id: UUID | None,
        project_id: UUID,
        strategic_fit: str,
        market_outlook: str,
        economic_benefit: str,
    ) -> None:
        self.state = ApplicationState.APPROVED
        self.approved_by = by
        self.project_id = project_id
        self.assessment = {
            "strategic_fit": strategic_fit,
            "market_outlook": market_outlook,
            "economic_benefit": economic_benefit,
        }

    class Rejected(Aggregate.Event):
        by: str
        reasons: str
        department: str
        title: str
        applicant: str

    def reject(self, actor: Actor, *, reasons: str, lead: Lead | None = None) -> None:
        require_acting(actor)
        self._require_decider(actor, lead, "reject")
        self._require_state("reject", ApplicationState.DEPARTMENT_REVIEWED)
        require_text("reasons", reasons)
        self._reject(
            by=actor.user_id,
            reasons=reasons,
            department=self.department,
            title=self.title,
            applicant=self.applicant,
        )

    @event(Rejected)
    def _reject(self, by: str, reasons: str, department: str, title: str, applicant: str) -> None:
        self.state = ApplicationState.REJECTED
        self.decision_reasons = reasons
