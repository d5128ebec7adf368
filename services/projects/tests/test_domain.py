"""Project initiation rules (REGULATIONS §2) on the aggregates alone: no database, no Kafka."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from bizdev_common.contract import MoneyModel, PublicEvent
from bizdev_common.domain import (
    Actor,
    Forbidden,
    Money,
    Role,
)
from bizdev_common.eventstore import MoneyAsDict
from bizdev_projects.domain import (
    MARKET_DEPARTMENT,
    ApplicationState,
    Assessment,
    InsightKind,
    Lead,
    MarketInsight,
    Project,
    ProjectApplication,
    ProjectState,
)
from bizdev_projects.published import CONTRACT
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

REVENUE = Money(Decimal("120000.00"), "CNY")
NEGATIVE = Money(Decimal("-1"), "CNY")
FORM_TEXT_FIELDS = ["title", "background", "target_customers", "preliminary_plan"]

ASSESSMENT = Assessment("Core business", "Growing demand", "20% margin")


def employee(user_id: str = "alice", department: str = "sales") -> Actor:
    return Actor(user_id, department, frozenset({Role.EMPLOYEE}))


def head(user_id: str = "bob", department: str = "sales") -> Actor:
    return Actor(user_id, department, frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))


def manager(user_id: str = "carol") -> Actor:
    return Actor(user_id, "board", frozenset({Role.EMPLOYEE, Role.MANAGEMENT}))


def auditor() -> Actor:
    return Actor("audrey", "audit", frozenset({Role.AUDITOR}))


APPLICANT = employee()


def draft(actor: Actor = APPLICANT, **overrides: Any) -> ProjectApplication:
    fields: dict[str, Any] = {
        "title": "Smart warehouse",
        "background": "Clients ask for automated storage",
        "target_customers": "Mid-size logistics firms",
        "expected_revenue": REVENUE,
        "preliminary_plan": "Pilot with two clients in Q3",
    }
    fields.update(overrides)
    return ProjectApplication.draft(actor, **fields)


def submitted(actor: Actor = APPLICANT) -> ProjectApplication:
    application = draft(actor)
    application.submit(actor)
    return application


def review(
    application: ProjectApplication, reviewer: Actor | None = None, **overrides: Any
) -> None:
    opinion: dict[str, Any] = {
        "recommend": True,
        "feasibility": "Feasible with current staff",
        "market_outlook": "Growing demand",
        "resource_needs": "Two engineers for six months",
    }
    opinion.update(overrides)
    application.review(reviewer or head(department=application.department), **opinion)


def reviewed(actor: Actor = APPLICANT) -> ProjectApplication:
    application = submitted(actor)
    review(application)
    return application


def approved() -> ProjectApplication:
    application = reviewed()
    application.approve(manager(), ASSESSMENT, comments="Go ahead")
    return application


def rejected() -> ProjectApplication:
    application = reviewed()
    application.reject(manager(), reasons="Margin too thin")
    return application


def blanked(field: str, blank: str = "") -> dict[str, Any]:
    """Keyword arguments typed loosely enough to blank any parametrized field."""
    return {field: blank}


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# --- the paths the regulations describe ---------------------------------------------------


def test_draft_records_the_form_and_its_applicant() -> None:
    lead = Lead.submit(employee("dave"), "ACME", "Cold storage", "trade fair", REVENUE)
    application = draft(lead=lead)

    assert application.state == ApplicationState.DRAFT
    assert application.applicant == "alice"
    assert application.department == "sales"
    assert application.title == "Smart warehouse"
    assert application.expected_revenue == REVENUE
    assert application.lead_id == lead.id
    assert application.opinion is None
    assert application.decision_reasons is None
    assert application.approved_by is None
    [drafted] = application.collect_events()
    assert isinstance(drafted, ProjectApplication.Drafted)
    assert drafted.by == "alice"


def test_approval_path_opens_a_project() -> None:
    application = draft()
    application.submit(APPLICANT)
    assert application.state == ApplicationState.SUBMITTED

    review(application, recommend=False)
    assert application.state == ApplicationState.DEPARTMENT_REVIEWED
    assert application.opinion == {
        "reviewer": "bob",
        "recommend": False,
        "feasibility": "Feasible with current staff",
        "market_outlook": "Growing demand",
        "resource_needs": "Two engineers for six months",
        "reviewed_as": "department_head",
    }

    # Management decides; the head's opinion advises but does not bind.
    application.approve(manager(), ASSESSMENT, comments="Go ahead")
    assert application.state == ApplicationState.APPROVED
    assert application.approved_by == "carol"
    assert event_names(application) == [
        "Drafted",
        "Submitted",
        "DepartmentReviewed",
        "Approved",
    ]

    project = Project.open(application)
    assert project.id == Project.project_id_for(application.id)
    assert application.project_id == project.id
    assert project.state == ProjectState.OPEN
    assert project.application_id == application.id
    assert project.name == "Smart warehouse"
    assert project.department == "sales"
    assert project.applicant == "alice"
    assert project.approved_by == "carol"
    assert project.expected_revenue == REVENUE
    assert project.lead_id is None
    [opened] = project.collect_events()
    assert isinstance(opened, Project.Opened)
    assert opened.by == "carol"


def test_project_id_is_the_same_for_the_same_application() -> None:
    application = approved()
    assert Project.open(application).id == Project.open(application).id


def test_rejected_application_is_revised_resubmitted_and_approved() -> None:
    application = rejected()
    assert application.state == ApplicationState.REJECTED
    assert application.decision_reasons == "Margin too thin"
    assert application.opinion is not None

    application.revise(APPLICANT, expected_revenue=Money(Decimal("150000"), "CNY"))
    assert application.state == ApplicationState.DRAFT
    assert application.opinion is None
    assert application.decision_reasons is None
    assert application.expected_revenue == Money(Decimal("150000"), "CNY")
    assert application.title == "Smart warehouse"

    application.submit(APPLICANT)
    review(application)
    application.approve(manager(), ASSESSMENT)
    assert application.state == ApplicationState.APPROVED
    assert event_names(application) == [
        "Drafted",
        "Submitted",
        "DepartmentReviewed",
        "Rejected",
        "Revised",
        "Submitted",
        "DepartmentReviewed",
        "Approved",
    ]


def test_revision_event_carries_the_whole_form() -> None:
    application = draft()
    application.collect_events()

    application.revise(APPLICANT, title="Smarter warehouse")

    [revised] = application.collect_events()
    assert isinstance(revised, ProjectApplication.Revised)
    assert revised.title == "Smarter warehouse"
    assert revised.background == "Clients ask for automated storage"
    assert revised.expected_revenue == REVENUE
    assert application.state == ApplicationState.DRAFT


def test_rejection_from_a_reviewed_application() -> None:
    application = rejected()
    [*_, last] = application.collect_events()
    assert isinstance(last, ProjectApplication.Rejected)
    assert last.by == "carol"
    assert last.reasons == "Margin too thin"


def test_lead_submitted_by_any_employee() -> None:
    lead = Lead.submit(
        employee("dave", "engineering"), "ACME", "Cold storage", "trade fair", REVENUE
    )
    assert lead.finder == "dave"
    assert lead.department == "engineering"
    assert (lead.customer, lead.need, lead.source) == ("ACME", "Cold storage", "trade fair")
    assert lead.estimated_value == REVENUE
    assert event_names(lead) == ["Submitted"]


def test_market_insight_recorded_by_market_department() -> None:
    insight = MarketInsight.record(
        employee("mia", MARKET_DEPARTMENT), "competitor", "RivalCo price cut", "10% off"
    )
    assert insight.recorded_by == "mia"
    assert insight.department == MARKET_DEPARTMENT
    assert insight.kind == InsightKind.COMPETITOR
    assert (insight.title, insight.content) == ("RivalCo price cut", "10% off")
    assert event_names(insight) == ["Recorded"]


def test_market_department_head_may_record_an_insight() -> None:
    marketing_head = Actor("max", MARKET_DEPARTMENT, frozenset({Role.DEPARTMENT_HEAD}))
    insight = MarketInsight.record(marketing_head, "industry_trend", "Automation", "Rising")
    assert insight.recorded_by == "max"


# --- replay and publication ---------------------------------------------------------------


class _InMemoryProjects(Application[UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())


def _state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def _every_kind_of_aggregate() -> list[Aggregate]:
    application = rejected()
    application.revise(APPLICANT, title="Smarter warehouse")
    application.submit(APPLICANT)
    review(application)
    application.approve(manager(), ASSESSMENT, comments="Go ahead")
    return [
        application,
        Project.open(application),
        Lead.submit(APPLICANT, "ACME", "Cold storage", "trade fair", REVENUE),
        MarketInsight.record(employee("mia", MARKET_DEPARTMENT), "competitor", "Cut", "10%"),
    ]


def test_replaying_stored_events_rebuilds_the_same_state() -> None:
    app = _InMemoryProjects()
    for aggregate in _every_kind_of_aggregate():
        app.save(aggregate)
        rebuilt: Aggregate = app.repository.get(aggregate.id)
        assert type(rebuilt) is type(aggregate)
        assert _state(rebuilt) == _state(aggregate)


def test_every_domain_event_has_a_public_form() -> None:
    own_fields = set(PublicEvent.model_fields)
    for aggregate in _every_kind_of_aggregate():
        for domain_event in aggregate.collect_events():
            public = CONTRACT.to_public(domain_event)
            assert public is not None, type(domain_event).__qualname__
            assert public.aggregate_id == aggregate.id
            assert public.by == vars(domain_event)["by"]
            for name in type(public).model_fields.keys() - own_fields:
                value = getattr(public, name)
                if isinstance(value, MoneyModel):
                    value = value.to_money()
                assert value == getattr(domain_event, name), name


# --- an acting role, whatever the relation to the record ------------------------------------


def as_auditor(actor: Actor) -> Actor:
    """The same person (user id, department) holding only the auditor's role."""
    return Actor(actor.user_id, actor.department, frozenset({Role.AUDITOR}))


def test_the_applicant_as_auditor_neither_revises_nor_submits() -> None:
    application = draft()
    with pytest.raises(Forbidden, match="acting role"):
        application.revise(as_auditor(APPLICANT), title="Changed")
    with pytest.raises(Forbidden, match="acting role"):
        application.submit(as_auditor(APPLICANT))
    rejected_one = rejected()
    with pytest.raises(Forbidden, match="acting role"):
        rejected_one.revise(as_auditor(APPLICANT), title="Changed")
    assert application.state == ApplicationState.DRAFT
    assert rejected_one.state == ApplicationState.REJECTED


def test_an_auditor_with_the_reviewer_or_approver_id_neither_reviews_nor_decides() -> None:
    application = submitted()
    with pytest.raises(Forbidden):
        review(application, as_auditor(head(department=application.department)))
    application = reviewed()
    with pytest.raises(Forbidden):
        application.approve(as_auditor(manager()), ASSESSMENT, comments="Go")
    with pytest.raises(Forbidden):
        application.reject(as_auditor(manager()), reasons="No")
    assert application.state == ApplicationState.DEPARTMENT_REVIEWED
