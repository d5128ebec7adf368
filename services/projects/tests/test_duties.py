"""Separation of duties on an initiation application and its lead (REGULATIONS, Roles: "a
person never approves their own submission"), and the lead's own state machine (2.1): on the
aggregates alone. Each refusal is a Forbidden (403) whose reason names the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Money, Role, RuleViolation
from bizdev_projects.domain import (
    ApplicationState,
    Assessment,
    Lead,
    LeadState,
    ProjectApplication,
    ReviewedAs,
)
from bizdev_projects.published import CONTRACT, ApplicationApproved, ApplicationReviewed

REVENUE = Money(Decimal("120000.00"), "CNY")
ASSESSMENT = Assessment("Core business", "Growing demand", "20% margin")
OPINION: dict[str, Any] = {
    "recommend": True,
    "feasibility": "Feasible",
    "market_outlook": "Growing",
    "resource_needs": "Two engineers",
}


def person(user_id: str, department: str, *roles: Role) -> Actor:
    return Actor(user_id, department, frozenset({Role.EMPLOYEE, *roles}))


ANN = person("ann", "sales")
FINN = person("finn", "sales")
HEAD = person("hank", "sales", Role.DEPARTMENT_HEAD)
CAROL = person("carol", "board", Role.MANAGEMENT)
DORA = person("dora", "board", Role.MANAGEMENT)
HEAD_AND_MANAGER = person("hugo", "sales", Role.DEPARTMENT_HEAD, Role.MANAGEMENT)


def lead_by(finder: Actor = FINN) -> Lead:
    return Lead.submit(finder, "ACME", "Cold storage", "trade fair", REVENUE)


def application_by(applicant: Actor = ANN, lead: Lead | None = None) -> ProjectApplication:
    application = ProjectApplication.draft(
        applicant,
        title="Smart warehouse",
        background="Clients ask",
        target_customers="Logistics firms",
        expected_revenue=REVENUE,
        preliminary_plan="Pilot",
        lead=lead,
    )
    application.submit(applicant)
    return application


# --- reviewer ≠ approver ≠ applicant ≠ finder --------------------------------------------------


def test_one_person_holding_head_and_management_does_not_review_and_approve() -> None:
    application = application_by()
    application.review(HEAD_AND_MANAGER, **OPINION)
    with pytest.raises(Forbidden, match="whoever reviewed this application may not also approve"):
        application.approve(HEAD_AND_MANAGER, ASSESSMENT)
    with pytest.raises(Forbidden, match="whoever reviewed this application may not also reject"):
        application.reject(HEAD_AND_MANAGER, reasons="No")
    assert application.state == ApplicationState.DEPARTMENT_REVIEWED
    application.approve(CAROL, ASSESSMENT)
    assert application.approved_by == "carol"


def test_the_finder_of_the_lead_does_not_approve_the_application_converting_it() -> None:
    finder = person("fred", "board", Role.MANAGEMENT)
    lead = lead_by(finder)
    application = application_by(lead=lead)
    application.review(HEAD, lead=lead, **OPINION)
    with pytest.raises(Forbidden, match=r"finder of the lead .* may not approve it"):
        application.approve(finder, ASSESSMENT, lead=lead)
    with pytest.raises(Forbidden, match=r"finder of the lead .* may not reject it"):
        application.reject(finder, reasons="Mine anyway", lead=lead)
    application.approve(CAROL, ASSESSMENT, lead=lead)
    lead.convert(application)
    assert lead.state == LeadState.CONVERTED


def test_the_finder_of_the_lead_does_not_review_the_application() -> None:
    finder_head = person("hank", "sales", Role.DEPARTMENT_HEAD)
    lead = lead_by(finder_head)
    application = application_by(lead=lead)
    with pytest.raises(Forbidden, match=r"finder of the lead .* may not review it"):
        application.review(finder_head, lead=lead, **OPINION)
    assert application.state == ApplicationState.SUBMITTED


def test_the_applicant_neither_reviews_nor_decides() -> None:
    applicant = person("hugo", "board", Role.MANAGEMENT)
    application = application_by(applicant)
    application.review(person("bea", "board", Role.DEPARTMENT_HEAD), **OPINION)
    with pytest.raises(Forbidden, match="own submission"):
        application.approve(applicant, ASSESSMENT)
    with pytest.raises(Forbidden, match="own submission"):
        application.reject(applicant, reasons="No")


def test_the_lead_must_be_given_when_the_application_follows_one() -> None:
    lead = lead_by()
    application = application_by(lead=lead)
    with pytest.raises(ValueError, match="must be given"):
        application.review(HEAD, **OPINION)
    with pytest.raises(ValueError, match="must be given"):
        application.review(HEAD, lead=lead_by(), **OPINION)


# --- an application its department's head submits --------------------------------------------


def test_an_application_of_the_departments_head_is_reviewed_by_management() -> None:
    application = application_by(HEAD)
    assert application.applicant_is_head
    assert application.reviewer_role == ReviewedAs.MANAGEMENT
    with pytest.raises(Forbidden, match="management reviews this application instead"):
        application.review(person("hera", "sales", Role.DEPARTMENT_HEAD), **OPINION)
    application.review(CAROL, **OPINION)
    assert application.opinion is not None
    assert application.opinion["reviewed_as"] == "management"
    [*_, reviewed] = application.collect_events()
    public = CONTRACT.to_public(reviewed)
    assert isinstance(public, ApplicationReviewed)
    assert public.reviewed_as == "management"
    # Management reviewed it, so another member of management decides.
    with pytest.raises(Forbidden, match="whoever reviewed"):
        application.approve(CAROL, ASSESSMENT)
    application.approve(DORA, ASSESSMENT)
    assert application.state == ApplicationState.APPROVED


def test_an_ordinary_application_is_not_reviewed_by_management_in_the_heads_place() -> None:
    application = application_by()
    assert application.reviewer_role == ReviewedAs.DEPARTMENT_HEAD
    with pytest.raises(Forbidden, match="only the head of department sales"):
        application.review(CAROL, **OPINION)


def test_whether_the_applicant_is_the_head_is_recorded_as_submitted() -> None:
    applicant = person("mo", "marketing", Role.DEPARTMENT_HEAD)
    application = application_by(applicant)
    application.review(
        CAROL, recommend=False, **{k: v for k, v in OPINION.items() if k != "recommend"}
    )
    application.reject(DORA, reasons="Not now")
    application.revise(person("mo", "marketing"), title="Smaller warehouse")
    # Resubmitted by the same person no longer holding the head's role: the head reviews.
    application.submit(person("mo", "marketing"))
    assert application.reviewer_role == ReviewedAs.DEPARTMENT_HEAD
    [*_, submitted] = application.collect_events()
    assert isinstance(submitted, ProjectApplication.Submitted)
    assert submitted.applicant_is_head is False


# --- management's assessment ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["strategic_fit", "market_outlook", "economic_benefit"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_approval_requires_managements_assessment(field: str, blank: str) -> None:
    application = application_by()
    application.review(HEAD, **OPINION)
    texts = {
        "strategic_fit": "Core business",
        "market_outlook": "Growing",
        "economic_benefit": "20% margin",
    }
    texts[field] = blank
    with pytest.raises(RuleViolation) as refused:
        application.approve(CAROL, Assessment(**texts))
    assert refused.value.field == field
    assert application.state == ApplicationState.DEPARTMENT_REVIEWED


def test_the_approval_records_the_assessment() -> None:
    application = application_by()
    application.review(HEAD, **OPINION)
    application.approve(CAROL, ASSESSMENT, comments="Go")
    assert application.assessment == {
        "strategic_fit": "Core business",
        "market_outlook": "Growing demand",
        "economic_benefit": "20% margin",
    }
    [*_, approved] = application.collect_events()
    public = CONTRACT.to_public(approved)
    assert isinstance(public, ApplicationApproved)
    assert (public.strategic_fit, public.market_outlook, public.economic_benefit) == (
        "Core business",
        "Growing demand",
        "20% margin",
    )


def test_who_may_decide_is_checked_before_the_assessment() -> None:
    application = application_by()
    application.review(HEAD, **OPINION)
    with pytest.raises(Forbidden):
        application.approve(HEAD, Assessment("", "", ""))


# --- leads: qualified or discarded with reasons ----------------------------------------------


def test_the_head_of_the_finders_department_qualifies_a_lead_naming_its_customer() -> None:
    lead = lead_by()
    customer_id = uuid4()
    lead.qualify(HEAD, note="Budget confirmed", customer_id=customer_id)
    assert lead.state == LeadState.QUALIFIED
    assert lead.customer_id == customer_id
    [_, qualified] = lead.collect_events()
    assert isinstance(qualified, Lead.Qualified)
    assert (qualified.by, qualified.finder, qualified.customer_id) == ("hank", "finn", customer_id)


def test_management_discards_a_lead_with_reasons_and_may_qualify_it_after_all() -> None:
    lead = lead_by()
    lead.discard(CAROL, reasons="Outside our market")
    assert lead.state == LeadState.DISCARDED
    assert lead.discard_reasons == "Outside our market"
    lead.qualify(CAROL)
    assert lead.state == LeadState.QUALIFIED
    assert lead.discard_reasons is None


@pytest.mark.parametrize("reasons", ["", "   "])
def test_discarding_needs_reasons(reasons: str) -> None:
    lead = lead_by()
    with pytest.raises(RuleViolation) as refused:
        lead.discard(HEAD, reasons=reasons)
    assert refused.value.field == "reasons"


def test_the_finder_judges_not_their_own_lead() -> None:
    finder = person("hank", "sales", Role.DEPARTMENT_HEAD)
    lead = lead_by(finder)
    with pytest.raises(Forbidden, match="own submission"):
        lead.qualify(finder)
    with pytest.raises(Forbidden, match="own submission"):
        lead.discard(finder, reasons="Never mind")


@pytest.mark.parametrize(
    "judge",
    [
        person("erin", "marketing", Role.DEPARTMENT_HEAD),
        person("dave", "sales"),
        Actor("audrey", "sales", frozenset({Role.AUDITOR})),
    ],
    ids=["head-of-another-department", "employee", "auditor"],
)
def test_only_the_finders_head_or_management_judge_a_lead(judge: Actor) -> None:
    lead = lead_by()
    with pytest.raises(Forbidden):
        lead.qualify(judge)
    with pytest.raises(Forbidden):
        lead.discard(judge, reasons="No")


def test_the_lead_state_machine() -> None:
    lead = lead_by()
    lead.qualify(HEAD)
    with pytest.raises(InvalidTransition):
        lead.qualify(HEAD)
    lead.discard(HEAD, reasons="Customer went elsewhere")
    with pytest.raises(InvalidTransition):
        lead.discard(HEAD, reasons="Again")
    lead.qualify(HEAD)
    application = application_by(lead=lead)
    application.review(HEAD, lead=lead, **OPINION)
    application.approve(CAROL, ASSESSMENT, lead=lead)
    lead.convert(application)
    assert lead.state == LeadState.CONVERTED
    with pytest.raises(InvalidTransition):
        lead.discard(HEAD, reasons="Too late")
    with pytest.raises(InvalidTransition):
        lead.qualify(HEAD)


def test_a_discarded_lead_is_not_followed_by_an_application() -> None:
    lead = lead_by()
    lead.discard(HEAD, reasons="Outside our market")
    with pytest.raises(RuleViolation) as refused:
        application_by(lead=lead)
    assert refused.value.field == "lead_id"
