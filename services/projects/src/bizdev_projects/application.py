"""The projects service's commands: load, decide (the aggregate does), save. Nothing else."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.domain import Actor, Money, NotFound, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication

from bizdev_projects.domain import Lead, MarketInsight, Project, ProjectApplication


class ProjectsApplication(ServiceApplication):
    name = "projects"

    def record_market_insight(
        self, actor: Actor, kind: str, title: str, content: str
    ) -> CommandResult:
        return self.commit(MarketInsight.record(actor, kind, title, content))

    def submit_lead(
        self, actor: Actor, customer: str, need: str, source: str, estimated_value: Money
    ) -> CommandResult:
        return self.commit(Lead.submit(actor, customer, need, source, estimated_value))

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
        if lead_id is not None:
            try:
                self.load(Lead, lead_id)
            except NotFound as e:
                raise RuleViolation("lead_id", f"no lead with id {lead_id}") from e
        application = ProjectApplication.draft(
            actor,
            title=title,
            background=background,
            target_customers=target_customers,
            expected_revenue=expected_revenue,
            preliminary_plan=preliminary_plan,
            lead_id=lead_id,
            customer_id=customer_id,
        )
        return self.commit(application)

    def revise_application(
        self,
        actor: Actor,
        application_id: UUID,
        expected_version: int | None,
        *,
        title: str | None = None,
        background: str | None = None,
        target_customers: str | None = None,
        expected_revenue: Money | None = None,
        preliminary_plan: str | None = None,
    ) -> CommandResult:
        application = self.load(ProjectApplication, application_id, expected_version)
        application.revise(
            actor,
            title=title,
            background=background,
            target_customers=target_customers,
            expected_revenue=expected_revenue,
            preliminary_plan=preliminary_plan,
        )
        return self.commit(application)

    def submit_application(
        self, actor: Actor, application_id: UUID, expected_version: int | None
    ) -> CommandResult:
        application = self.load(ProjectApplication, application_id, expected_version)
        application.submit(actor)
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
        )
        return self.commit(application)

    def approve_application(
        self, actor: Actor, application_id: UUID, expected_version: int | None, comments: str
    ) -> CommandResult:
        """Approval and the project it opens are saved together, or neither is (REGULATIONS 2.3)."""
        application = self.load(ProjectApplication, application_id, expected_version)
        application.approve(actor, comments=comments)
        return self.commit(application, Project.open(application))

    def reject_application(
        self, actor: Actor, application_id: UUID, expected_version: int | None, reasons: str
    ) -> CommandResult:
        application = self.load(ProjectApplication, application_id, expected_version)
        application.reject(actor, reasons=reasons)
        return self.commit(application)
