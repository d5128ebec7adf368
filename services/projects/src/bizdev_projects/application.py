"""The projects service's commands: load, decide (the aggregate does), save. Nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from bizdev_common.domain import Actor, Money, NotFound, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_projects.domain import (
    ACTION_ITEM_OVERDUE,
    MILESTONE_OVERDUE,
    Assessment,
    BusinessPlan,
    DeviationReport,
    ExternalContact,
    KnownCustomer,
    Lead,
    MarketInsight,
    Meeting,
    PlanContent,
    PlannedActionItem,
    PlanState,
    Project,
    ProjectApplication,
)

A = TypeVar("A", bound=Aggregate)


class ProjectsApplication(ServiceApplication):
    name = "projects"

    def record_market_insight(
        self, actor: Actor, kind: str, title: str, content: str
    ) -> CommandResult:
        return self.commit(MarketInsight.record(actor, kind, title, content))

    def submit_lead(
        self,
        actor: Actor,
        customer: str,
        need: str,
        source: str,
        estimated_value: Money,
        customer_id: UUID | None = None,
    ) -> CommandResult:
        lead = Lead.submit(actor, customer, need, source, estimated_value, customer_id)
        self._require_known_customer(customer_id)
        return self.commit(lead)

    def qualify_lead(
        self,
        actor: Actor,
        lead_id: UUID,
        expected_version: int | None,
        *,
        note: str,
        customer_id: UUID | None,
    ) -> CommandResult:
        lead = self.load(Lead, lead_id, expected_version)
        lead.qualify(actor, note=note, customer_id=customer_id)
        self._require_known_customer(customer_id)
        return self.commit(lead)

    def _require_known_customer(self, customer_id: UUID | None) -> None:
        """Checked against the customers crm announced on its topic (reactions.py), never
        crm's tables: a customer registered a moment ago may not have arrived yet."""
        if customer_id is not None and self.find(KnownCustomer, customer_id) is None:
            raise RuleViolation("customer_id", f"crm has announced no customer {customer_id}")

    def _lead_of(self, application: ProjectApplication) -> Lead | None:
        return None if application.lead_id is None else self.load(Lead, application.lead_id)

    def draft_application(
        self,
        actor: Actor,
        *,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
        lead_id: UUID | None,
        customer_id: UUID | None,
    ) -> CommandResult:
        lead = None
        if lead_id is not None:
            try:
                lead = self.load(Lead, lead_id)
            except NotFound as e:
                raise RuleViolation("lead_id", f"no lead with id {lead_id}") from e
        application = ProjectApplication.draft(
            actor,
            title=title,
            background=background,
            target_customers=target_customers,
            expected_revenue=expected_revenue,
            preliminary_plan=preliminary_plan,
            lead=lead,
            customer_id=customer_id,
        )
        return self.commit(application)

    def review_application(
        self,
        actor: Actor,
        application_id: UUID,
        expected_version: int | None,
        *,
        recommend: bool,
        feasibility: str,
        market_outlook: str,
        resource_needs: str,
    ) -> CommandResult:
        application = self.load(ProjectApplication, application_id, expected_version)
        application.review(
            actor,
            recommend=recommend,
            feasibility=feasibility,
            market_outlook=market_outlook,
            resource_needs=resource_needs,
            lead=self._lead_of(application),
        )
        return self.commit(application)

    def approve_application(
        self,
        actor: Actor,
        application_id: UUID,
        expected_version: int | None,
        assessment: Assessment,
        comments: str,
    ) -> CommandResult:
        """Approval, the project it opens and the conversion of the lead it came from are saved
        together, or none is (REGULATIONS 2.1, 2.3)."""
        application = self.load(ProjectApplication, application_id, expected_version)
        lead = self._lead_of(application)
        application.approve(actor, assessment, comments=comments, lead=lead)
        project = Project.open(application)
        if lead is None:
            return self.commit(application, project)
        lead.convert(application)
        return self.commit(application, project, lead)

    def reject_application(
        self, actor: Actor, application_id: UUID, expected_version: int | None, reasons: str
    ) -> CommandResult:
        application = self.load(ProjectApplication, application_id, expected_version)
        application.reject(actor, reasons=reasons, lead=self._lead_of(application))
        return self.commit(application)

    # --- the business plan (REGULATIONS 3.1) ----------------------------------------------

    def draft_plan(self, actor: Actor, project_id: UUID, content: PlanContent) -> CommandResult:
        project = self.load(Project, project_id)
        existing = self.find(BusinessPlan, BusinessPlan.plan_id_for(project_id))
        return self.commit(BusinessPlan.draft(actor, project, existing=existing, content=content))

    def revise_plan(
        self, actor: Actor, plan_id: UUID, expected_version: int | None, content: PlanContent
    ) -> CommandResult:
        plan = self.load(BusinessPlan, plan_id, expected_version)
        plan.revise(actor, self.load(Project, plan.project_id), content)
        return self.commit(plan)

    def submit_plan(
        self, actor: Actor, plan_id: UUID, expected_version: int | None
    ) -> CommandResult:
        plan = self.load(BusinessPlan, plan_id, expected_version)
        plan.submit(actor, self.load(Project, plan.project_id))
        return self.commit(plan)

    def review_plan(
        self,
        actor: Actor,
        plan_id: UUID,
        expected_version: int | None,
        *,
        verdict: str,
        comments: str,
    ) -> CommandResult:
        """The review that approves the plan gives the project its milestones in the same
        transaction, so that an approved plan never lacks its schedule."""
        plan = self.load(BusinessPlan, plan_id, expected_version)
        project = self.load(Project, plan.project_id)
        plan.review(actor, project, verdict=verdict, comments=comments)
        if plan.state == PlanState.APPROVED:
            project.schedule_milestones(plan)
        return self.commit(plan, project)

    # --- team and execution (REGULATIONS 3.2, 3.3) ----------------------------------------

    def mark_milestone_overdue(
        self, project_id: UUID, milestone_id: UUID, now: datetime
    ) -> CommandResult:
        project = self.load(Project, project_id)
        project.mark_milestone_overdue(milestone_id, now)
        return self.commit(project)

    def report_deviation(
        self,
        actor: Actor,
        project_id: UUID,
        *,
        deviation: str,
        cause: str,
        adjusted_strategy: str,
        milestone_id: UUID | None,
    ) -> CommandResult:
        report = DeviationReport.report(
            actor,
            self.load(Project, project_id),
            deviation=deviation,
            cause=cause,
            adjusted_strategy=adjusted_strategy,
            milestone_id=milestone_id,
        )
        return self.commit(report)

    def acknowledge_deviation(
        self,
        actor: Actor,
        report_id: UUID,
        expected_version: int | None,
        decision: str,
        replan: bool = False,
    ) -> CommandResult:
        """An acknowledgement requiring re-planning and the plan's re-planning are saved
        together, or neither is (REGULATIONS 3.3)."""
        report = self.load(DeviationReport, report_id, expected_version)
        project = self.load(Project, report.project_id)
        plan = self.find(BusinessPlan, BusinessPlan.plan_id_for(project.id)) if replan else None
        report.acknowledge(actor, project, decision, replan=replan, plan=plan)
        if plan is None:
            return self.commit(report)
        plan.require_replanning(actor, project, report)
        return self.commit(report, plan)

    # --- communication (REGULATIONS §6) ---------------------------------------------------

    def schedule_meeting(
        self,
        actor: Actor,
        project_id: UUID,
        *,
        kind: str,
        title: str,
        meeting_date: date,
        attendees: Sequence[str],
        agenda: str,
    ) -> CommandResult:
        meeting = Meeting.schedule(
            actor,
            self.load(Project, project_id),
            kind=kind,
            title=title,
            meeting_date=meeting_date,
            attendees=attendees,
            agenda=agenda,
        )
        return self.commit(meeting)

    def record_minutes(
        self,
        actor: Actor,
        meeting_id: UUID,
        expected_version: int | None,
        *,
        minutes: str,
        attendees: Sequence[str],
        action_items: Sequence[PlannedActionItem],
    ) -> CommandResult:
        meeting = self.load(Meeting, meeting_id, expected_version)
        meeting.record_minutes(
            actor,
            self.load(Project, meeting.project_id),
            minutes=minutes,
            attendees=attendees,
            action_items=action_items,
        )
        return self.commit(meeting)

    def complete_action_item(
        self, actor: Actor, meeting_id: UUID, expected_version: int | None, item_id: UUID
    ) -> CommandResult:
        meeting = self.load(Meeting, meeting_id, expected_version)
        meeting.complete_action_item(actor, self.load(Project, meeting.project_id), item_id)
        return self.commit(meeting)

    def mark_action_item_overdue(
        self, meeting_id: UUID, item_id: UUID, now: datetime
    ) -> CommandResult:
        meeting = self.load(Meeting, meeting_id)
        meeting.mark_action_item_overdue(self.load(Project, meeting.project_id), item_id, now)
        return self.commit(meeting)

    def log_contact(
        self,
        actor: Actor,
        project_id: UUID,
        *,
        party_kind: str,
        party: str,
        contact_date: date,
        summary: str,
        customer_id: UUID | None,
    ) -> CommandResult:
        contact = ExternalContact.log(
            actor,
            self.load(Project, project_id),
            party_kind=party_kind,
            party=party,
            contact_date=contact_date,
            summary=summary,
            customer_id=customer_id,
        )
        return self.commit(contact)


class MilestoneOverdueCheck(DeadlineCheck[ProjectsApplication]):
    """A milestone's due date passed: the project reports it overdue, once (REGULATIONS 3.3)."""

    kind = MILESTONE_OVERDUE

    def fire(self, app: ProjectsApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.mark_milestone_overdue(aggregate_id, UUID(item), now)


class ActionItemOverdueCheck(DeadlineCheck):
    """An action item's due date passed before it was done: the meeting reports it overdue,
    once (REGULATIONS §6)."""

    kind = ACTION_ITEM_OVERDUE

    def fire(self, app: ServiceApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        if not isinstance(app, ProjectsApplication):
            raise TypeError(f"{self.kind} deadlines belong to the projects service")
        app.mark_action_item_overdue(aggregate_id, UUID(item), now)
