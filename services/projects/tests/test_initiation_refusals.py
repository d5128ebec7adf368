"""Project initiation refused (REGULATIONS §2): who may not act (403), what the state machine
forbids (409), what the content lacks (422); on the aggregates alone."""

from __future__ import annotations

from typing import Any

import pytest
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
)
from bizdev_projects.domain import (
    MARKET_DEPARTMENT,
    ApplicationState,
    Lead,
    MarketInsight,
    Project,
)

from .test_domain import (
    APPLICANT,
    ASSESSMENT,
    FORM_TEXT_FIELDS,
    NEGATIVE,
    REVENUE,
    approved,
    auditor,
    blanked,
    draft,
    employee,
    head,
    manager,
    rejected,
    review,
    reviewed,
    submitted,
)

# --- refusals: who may act (403) ----------------------------------------------------------


def test_submit_by_non_applicant_is_forbidden() -> None:
    application = draft()
    with pytest.raises(Forbidden):
        application.submit(employee("dave"))


def test_review_by_head_of_another_department_is_forbidden() -> None:
    application = submitted()
    with pytest.raises(Forbidden, match="head of department sales"):
        review(application, head("erin", "marketing"))


def test_review_by_non_head_of_the_department_is_forbidden() -> None:
    application = submitted()
    with pytest.raises(Forbidden):
        review(application, employee("dave"))


def test_head_may_not_review_own_application() -> None:
    own = head()
    application = submitted(own)
    with pytest.raises(Forbidden, match="management reviews this application instead"):
        review(application, own)


def test_approve_by_non_management_is_forbidden() -> None:
    application = reviewed()
    with pytest.raises(Forbidden):
        application.approve(head(), ASSESSMENT)


def test_reject_by_non_management_is_forbidden() -> None:
    application = reviewed()
    with pytest.raises(Forbidden):
        application.reject(head(), reasons="No")


def test_management_may_not_approve_own_application() -> None:
    own = manager()
    application = reviewed(own)
    with pytest.raises(Forbidden, match="own submission"):
        application.approve(own, ASSESSMENT)


def test_management_may_not_reject_own_application() -> None:
    own = manager()
    application = reviewed(own)
    with pytest.raises(Forbidden, match="own submission"):
        application.reject(own, reasons="Changed my mind")


def test_revise_by_non_applicant_is_forbidden() -> None:
    application = rejected()
    with pytest.raises(Forbidden):
        application.revise(employee("dave"), title="Hijacked")


def test_auditor_cannot_draft_an_application() -> None:
    with pytest.raises(Forbidden):
        draft(auditor())


def test_auditor_cannot_submit_a_lead() -> None:
    with pytest.raises(Forbidden):
        Lead.submit(auditor(), "ACME", "Cold storage", "trade fair", REVENUE)


def test_market_insight_from_another_department_is_forbidden() -> None:
    with pytest.raises(Forbidden, match="market"):
        MarketInsight.record(employee("dave", "sales"), "competitor", "Rumour", "Heard it")


def test_market_insight_needs_an_employee_or_head() -> None:
    with pytest.raises(Forbidden):
        MarketInsight.record(
            Actor("audrey", MARKET_DEPARTMENT, frozenset({Role.AUDITOR})),
            "competitor",
            "Rumour",
            "Heard it",
        )


def test_who_may_act_is_checked_before_state() -> None:
    application = approved()
    with pytest.raises(Forbidden):
        application.submit(employee("dave"))


def test_state_is_checked_before_content() -> None:
    application = submitted()
    with pytest.raises(InvalidTransition):
        application.reject(manager(), reasons="")


# --- refusals: the state machine (409) ----------------------------------------------------


def test_submit_twice_is_an_invalid_transition() -> None:
    application = submitted()
    with pytest.raises(InvalidTransition):
        application.submit(APPLICANT)


def test_rejected_application_must_be_revised_before_resubmission() -> None:
    application = rejected()
    with pytest.raises(InvalidTransition):
        application.submit(APPLICANT)


def test_review_of_a_draft_is_an_invalid_transition() -> None:
    application = draft()
    with pytest.raises(InvalidTransition):
        review(application)


def test_second_review_is_an_invalid_transition() -> None:
    application = reviewed()
    with pytest.raises(InvalidTransition):
        review(application)


def test_approve_without_review_is_an_invalid_transition() -> None:
    application = submitted()
    with pytest.raises(InvalidTransition):
        application.approve(manager(), ASSESSMENT)


def test_reject_without_review_is_an_invalid_transition() -> None:
    application = submitted()
    with pytest.raises(InvalidTransition):
        application.reject(manager(), reasons="Too early")


def test_approve_after_rejection_is_an_invalid_transition() -> None:
    application = rejected()
    with pytest.raises(InvalidTransition):
        application.approve(manager(), ASSESSMENT)


def test_revise_after_approval_is_an_invalid_transition() -> None:
    application = approved()
    with pytest.raises(InvalidTransition):
        application.revise(APPLICANT, title="Too late")


def test_revise_while_submitted_is_an_invalid_transition() -> None:
    application = submitted()
    with pytest.raises(InvalidTransition):
        application.revise(APPLICANT, title="Too late")


@pytest.mark.parametrize("make", [draft, submitted, reviewed, rejected])
def test_project_opens_only_from_an_approved_application(make: Any) -> None:
    with pytest.raises(InvalidTransition):
        Project.open(make())


# --- refusals: the content (422) ----------------------------------------------------------


@pytest.mark.parametrize("field", FORM_TEXT_FIELDS)
@pytest.mark.parametrize("blank", ["", "   "])
def test_draft_requires_every_text_field(field: str, blank: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        draft(**blanked(field, blank))
    assert refused.value.field == field


def test_draft_refuses_negative_expected_revenue() -> None:
    with pytest.raises(RuleViolation) as refused:
        draft(expected_revenue=NEGATIVE)
    assert refused.value.field == "expected_revenue"


def test_revise_needs_at_least_one_field() -> None:
    application = draft()
    with pytest.raises(RuleViolation) as refused:
        application.revise(APPLICANT)
    assert refused.value.field == "body"


@pytest.mark.parametrize("field", FORM_TEXT_FIELDS)
def test_revise_refuses_blank_text(field: str) -> None:
    application = draft()
    with pytest.raises(RuleViolation) as refused:
        application.revise(APPLICANT, **blanked(field, " "))
    assert refused.value.field == field


def test_revise_refuses_negative_expected_revenue() -> None:
    application = draft()
    with pytest.raises(RuleViolation) as refused:
        application.revise(APPLICANT, expected_revenue=NEGATIVE)
    assert refused.value.field == "expected_revenue"


@pytest.mark.parametrize("field", ["feasibility", "market_outlook", "resource_needs"])
def test_review_requires_every_opinion(field: str) -> None:
    application = submitted()
    with pytest.raises(RuleViolation) as refused:
        review(application, **blanked(field))
    assert refused.value.field == field
    assert application.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("reasons", ["", "  "])
def test_reject_requires_reasons(reasons: str) -> None:
    application = reviewed()
    with pytest.raises(RuleViolation) as refused:
        application.reject(manager(), reasons=reasons)
    assert refused.value.field == "reasons"
    assert application.state == ApplicationState.DEPARTMENT_REVIEWED


@pytest.mark.parametrize("field", ["customer", "need", "source"])
def test_lead_requires_every_text_field(field: str) -> None:
    fields = {"customer": "ACME", "need": "Cold storage", "source": "trade fair"}
    fields[field] = ""
    with pytest.raises(RuleViolation) as refused:
        Lead.submit(APPLICANT, estimated_value=REVENUE, **fields)
    assert refused.value.field == field


def test_lead_refuses_negative_estimated_value() -> None:
    with pytest.raises(RuleViolation) as refused:
        Lead.submit(APPLICANT, "ACME", "Cold storage", "trade fair", NEGATIVE)
    assert refused.value.field == "estimated_value"


def test_market_insight_refuses_unknown_kind() -> None:
    with pytest.raises(RuleViolation) as refused:
        MarketInsight.record(employee("mia", MARKET_DEPARTMENT), "gossip", "Rumour", "Heard it")
    assert refused.value.field == "kind"


@pytest.mark.parametrize("field", ["title", "content"])
def test_market_insight_requires_title_and_content(field: str) -> None:
    texts = {"title": "RivalCo price cut", "content": "10% off"}
    texts[field] = ""
    with pytest.raises(RuleViolation) as refused:
        MarketInsight.record(employee("mia", MARKET_DEPARTMENT), "competitor", **texts)
    assert refused.value.field == field
