"""A record's rules: the archivist's review accepts (numbers) or returns it to its filer, who
files it again; binding freezes it, one loan at a time, who approves and lends, a loan closed
as lost or damaged, the overdue loan raised once, and what may never be destroyed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role, RuleViolation
from bizdev_records.domain import (
    Category,
    Content,
    LoanLoss,
    Medium,
    NumberSeries,
    Record,
    RecordState,
    ReportedBy,
)
from bizdev_records.published import CONTRACT, LoanOverdue

TODAY = date(2026, 11, 28)
ARCHIVIST = Actor("arc", "archives", frozenset({Role.ARCHIVIST, Role.EMPLOYEE}))
SECOND_ARCHIVIST = Actor("arc2", "archives", frozenset({Role.ARCHIVIST}))
FILER = Actor("filer", "sales", frozenset({Role.EMPLOYEE}))
BORROWER = Actor("bob", "sales", frozenset({Role.EMPLOYEE}))
SALES_HEAD = Actor("head", "sales", frozenset({Role.DEPARTMENT_HEAD, Role.EMPLOYEE}))
OTHER_HEAD = Actor("head2", "market", frozenset({Role.DEPARTMENT_HEAD}))
MANAGER = Actor("boss", "board", frozenset({Role.MANAGEMENT}))
AUDITOR = Actor("aud", "audit", frozenset({Role.AUDITOR}))


def filed(medium: Medium = Medium.ELECTRONIC) -> Record:
    return Record.add(
        FILER,
        file_id=uuid4(),
        category=Category.PROJECT,
        subject_id=uuid4(),
        title="Kick-off slides",
        medium=medium,
        file_department="sales",
    )


def test_a_team_files_in_its_own_departments_files_the_archivist_in_any() -> None:
    item = {
        "file_id": uuid4(),
        "category": Category.MARKETING,
        "subject_id": uuid4(),
        "title": "Flyer",
        "medium": Medium.PHYSICAL,
        "file_department": "market",
    }
    with pytest.raises(Forbidden):
        Record.add(FILER, **item)  # type: ignore[arg-type]
    assert Record.add(ARCHIVIST, **item).department == "market"  # type: ignore[arg-type]


def uploaded(record: Record) -> Content:
    content = Content(uuid4(), 12, "ab" * 32, "application/pdf", "slides.pdf")
    record.attach(FILER, content)
    return content


def numbers() -> NumberSeries:
    return NumberSeries(category=Category.PROJECT.value, year=2026)


def bound() -> Record:
    record = filed()
    uploaded(record)
    record.assign_number(ARCHIVIST, "planning", numbers())
    record.bind(ARCHIVIST)
    return record


def bound_physical() -> Record:
    record = filed(Medium.PHYSICAL)
    record.locate(FILER, room="B1", shelf="3", box="17")
    record.assign_number(ARCHIVIST, "planning", numbers())
    record.bind(ARCHIVIST)
    return record


def lent(medium: Medium = Medium.ELECTRONIC) -> tuple[Record, UUID]:
    record = bound() if medium == Medium.ELECTRONIC else bound_physical()
    loan_id = record.apply_for_loan(BORROWER, "audit prep", TODAY, TODAY, False)
    record.approve_loan(SALES_HEAD, loan_id)
    record.lend(ARCHIVIST, loan_id, TODAY)
    return record, loan_id


def test_numbers_follow_each_other_in_a_category_and_year() -> None:
    series = numbers()
    first, second = filed(), filed()
    uploaded(first)
    uploaded(second)
    assert first.assign_number(ARCHIVIST, "planning", series) == "PRJ-2026-000001"
    assert second.assign_number(ARCHIVIST, "execution", series) == "PRJ-2026-000002"
    assert second.state == RecordState.NUMBERED


def test_a_refused_numbering_takes_no_number() -> None:
    series = numbers()
    record = filed()
    with pytest.raises(InvalidTransition, match="document"):
        record.assign_number(ARCHIVIST, "planning", series)
    uploaded(record)
    with pytest.raises(RuleViolation) as wrong:
        record.assign_number(ARCHIVIST, "campaign", series)
    assert wrong.value.field == "series"
    with pytest.raises(Forbidden):
        record.assign_number(FILER, "planning", series)
    assert series.last == 0


def test_a_physical_record_is_numbered_once_located() -> None:
    record = filed(Medium.PHYSICAL)
    with pytest.raises(InvalidTransition, match="location"):
        record.assign_number(ARCHIVIST, "planning", numbers())
    record.locate(FILER, room="B1", shelf="3", box="17")
    assert record.assign_number(ARCHIVIST, "planning", numbers()).startswith("PRJ-2026-")


def test_a_bound_record_refuses_changes() -> None:
    record = bound()
    with pytest.raises(InvalidTransition, match="bound"):
        record.retitle(ARCHIVIST, "Other slides")
    with pytest.raises(InvalidTransition, match="bound"):
        record.attach(ARCHIVIST, Content(uuid4(), 1, "cd" * 32, "text/plain", "x.txt"))
    with pytest.raises(InvalidTransition):
        record.assign_number(ARCHIVIST, "planning", numbers())
    with pytest.raises(InvalidTransition):
        record.bind(ARCHIVIST)
    assert record.title == "Kick-off slides"


def test_once_numbered_only_the_archivist_changes_it_until_it_is_bound() -> None:
    record = filed()
    uploaded(record)
    record.assign_number(ARCHIVIST, "planning", numbers())
    with pytest.raises(InvalidTransition, match="numbered"):
        record.retitle(FILER, "Swapped after review")
    with pytest.raises(InvalidTransition, match="numbered"):
        record.attach(FILER, Content(uuid4(), 1, "cd" * 32, "text/plain", "x.txt"))
    record.retitle(ARCHIVIST, "Kick-off slides, final")
    assert record.title == "Kick-off slides, final"


def test_only_the_filer_or_the_archivist_changes_an_unbound_record() -> None:
    record = filed()
    with pytest.raises(Forbidden):
        record.retitle(BORROWER, "Mine now")
    with pytest.raises(Forbidden):
        record.attach(AUDITOR, Content(uuid4(), 1, "cd" * 32, "text/plain", "x.txt"))
    record.retitle(ARCHIVIST, "Kick-off deck")
    assert record.title == "Kick-off deck"


def test_a_second_loan_while_lent_is_refused() -> None:
    record, loan_id = lent()
    with pytest.raises(InvalidTransition, match="already has a loan"):
        record.apply_for_loan(OTHER_HEAD, "read", TODAY, TODAY, False)
    with pytest.raises(InvalidTransition, match="already lent"):
        record.lend(ARCHIVIST, loan_id, TODAY)


def test_a_returned_record_may_be_lent_again() -> None:
    record, loan_id = lent()
    record.take_back(ARCHIVIST, loan_id, intact=True, condition="", today=TODAY)
    again = record.apply_for_loan(OTHER_HEAD, "read", TODAY, TODAY, False)
    assert record.loan is not None
    assert record.loan.loan_id == again


def test_the_borrowers_head_approves_never_the_borrower_nor_another_head() -> None:
    record = bound()
    loan_id = record.apply_for_loan(SALES_HEAD, "read", TODAY, TODAY, False)
    with pytest.raises(Forbidden):
        record.approve_loan(SALES_HEAD, loan_id)  # their own application
    loan_id2 = uuid4()
    with pytest.raises(RuleViolation):
        record.approve_loan(MANAGER, loan_id2)
    with pytest.raises(Forbidden):
        record.approve_loan(OTHER_HEAD, loan_id)


def test_the_archivist_approves_for_categories_configured_so() -> None:
    record = bound()
    loan_id = record.apply_for_loan(BORROWER, "read", TODAY, TODAY, True)
    with pytest.raises(Forbidden):
        record.approve_loan(SALES_HEAD, loan_id)
    record.approve_loan(ARCHIVIST, loan_id)


def test_only_the_archivist_lends_an_approved_loan() -> None:
    record = bound()
    loan_id = record.apply_for_loan(BORROWER, "read", TODAY, TODAY, False)
    with pytest.raises(InvalidTransition, match="not approved"):
        record.lend(ARCHIVIST, loan_id, TODAY)
    record.approve_loan(SALES_HEAD, loan_id)
    with pytest.raises(Forbidden):
        record.lend(SALES_HEAD, loan_id, TODAY)


def test_only_archived_records_are_lent() -> None:
    with pytest.raises(InvalidTransition, match="archived"):
        filed().apply_for_loan(BORROWER, "read", TODAY, TODAY, False)


def test_an_overdue_loan_is_raised_once_after_its_due_date() -> None:
    record, loan_id = lent()
    with pytest.raises(InvalidTransition, match="due on"):
        record.loan_overdue(loan_id, datetime(2026, 11, 28, 23, 59, tzinfo=UTC))
    record.loan_overdue(loan_id, datetime(2026, 11, 29, tzinfo=UTC))
    with pytest.raises(InvalidTransition, match="already"):
        record.loan_overdue(loan_id, datetime(2026, 12, 1, tzinfo=UTC))


def test_an_overdue_loan_names_the_zone_whose_day_decided_it() -> None:
    """Reported at Shanghai's midnight, still the due day in UTC: the event says whose day."""
    record, loan_id = lent()
    with company_time_zone("Asia/Shanghai"):
        record.loan_overdue(loan_id, end_of(TODAY))
    public = CONTRACT.to_public(record.collect_events()[-1])
    assert isinstance(public, LoanOverdue)
    assert public.time_zone == "Asia/Shanghai"
    # Stored before it named its zone, it reads as UTC's, whose days decided it then.
    assert (Record.LoanOverdue.class_version, Record.LoanOverdue.upcast_v1_v2) == (
        2,
        decided_in_utc,
    )


def test_destruction_of_a_held_or_lent_record_is_refused() -> None:
    record, _ = lent()
    with pytest.raises(InvalidTransition, match="on loan"):
        record.destroy(ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="w", method="m")
    held = bound()
    held.place_hold(MANAGER, "litigation 2026-17")
    with pytest.raises(InvalidTransition, match="legal hold"):
        held.destroy(ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="w", method="m")
    held.release_hold(ARCHIVIST, "settled")
    held.destroy(ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="w", method="shred")
    assert held.state == RecordState.DESTROYED


def test_destruction_without_managements_approval_is_refused() -> None:
    record = bound()
    with pytest.raises(InvalidTransition, match="approval"):
        record.destroy(ARCHIVIST, list_id=uuid4(), approved_by=None, witness="w", method="m")
    assert record.state == RecordState.BOUND


def test_the_witness_is_not_the_archivist_and_the_content_is_handed_back() -> None:
    record = filed()
    content = uploaded(record)
    with pytest.raises(RuleViolation) as wrong:
        record.destroy(ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="arc", method="m")
    assert wrong.value.field == "witness"
    gone = record.destroy(
        SECOND_ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="arc", method="deleted"
    )
    assert gone == content.content_id
    with pytest.raises(InvalidTransition, match="destroyed"):
        record.may_read_content(ARCHIVIST)


def test_who_reads_an_uploaded_document() -> None:
    record, _ = lent()
    assert record.may_read_content(BORROWER).filename == "slides.pdf"  # lent to them
    record.may_read_content(AUDITOR)
    record.may_read_content(FILER)  # its department
    with pytest.raises(Forbidden):
        record.may_read_content(OTHER_HEAD)


# --- review: accept or return --------------------------------------------------------------


def test_the_archivist_returns_filed_material_to_its_filer_with_a_reason() -> None:
    record = filed()
    with pytest.raises(Forbidden):
        record.return_to_filer(FILER, "not mine to judge")
    with pytest.raises(RuleViolation) as blank:
        record.return_to_filer(ARCHIVIST, "  ")
    assert blank.value.field == "reason"
    record.return_to_filer(ARCHIVIST, "Slides 4-7 missing")
    assert record.state == RecordState.RETURNED_TO_FILER
    assert record.returned_reason == "Slides 4-7 missing"
    # Waiting on the filer: not numbered meanwhile, nor returned twice.
    uploaded(record)
    with pytest.raises(InvalidTransition, match="returned_to_filer"):
        record.assign_number(ARCHIVIST, "planning", numbers())
    with pytest.raises(InvalidTransition):
        record.return_to_filer(ARCHIVIST, "again")


def test_the_filer_corrects_returned_material_and_files_it_again_for_a_new_review() -> None:
    record = filed()
    record.return_to_filer(ARCHIVIST, "Wrong title")
    record.retitle(FILER, "Kick-off slides, 2026-11-02")
    uploaded(record)
    with pytest.raises(Forbidden):
        record.resubmit(BORROWER, "")  # someone else of the department
    with pytest.raises(Forbidden):
        record.resubmit(ARCHIVIST, "")
    record.resubmit(FILER, "Dated title, full deck")
    assert record.state == RecordState.FILED
    assert record.returned_reason is None
    with pytest.raises(InvalidTransition, match="not returned"):
        record.resubmit(FILER, "")
    # Reviewed anew: returned again, or accepted.
    record.return_to_filer(ARCHIVIST, "Still no date on slide 1")
    record.resubmit(FILER, "")
    assert record.assign_number(ARCHIVIST, "planning", numbers()) == "PRJ-2026-000001"


def test_accepted_or_archived_material_is_not_returned() -> None:
    record = filed()
    uploaded(record)
    record.assign_number(ARCHIVIST, "planning", numbers())
    with pytest.raises(InvalidTransition, match="numbered"):
        record.return_to_filer(ARCHIVIST, "on second thoughts")
    record.bind(ARCHIVIST)
    with pytest.raises(InvalidTransition, match="bound"):
        record.return_to_filer(ARCHIVIST, "on second thoughts")


def test_a_record_filed_from_another_services_event_has_no_filer_to_return_it_to() -> None:
    record = Record(
        file_id=uuid4(),
        category=Category.PROJECT.value,
        subject_id=uuid4(),
        title="Initiation approved",
        source="projects.ApplicationApproved",
        source_event_id="evt-1",
        department="sales",
        medium=Medium.ELECTRONIC.value,
        document={"comments": ""},
        filed_by=None,
    )
    with pytest.raises(InvalidTransition, match="no filer"):
        record.return_to_filer(ARCHIVIST, "incomplete")
    assert record.state == RecordState.FILED


# --- who approves a loan -------------------------------------------------------------------


def test_the_head_of_the_borrowers_department_or_the_archivist_approves_no_one_else() -> None:
    for approver, approved_as in ((SALES_HEAD, "department_head"), (ARCHIVIST, "archivist")):
        record = bound()
        loan_id = record.apply_for_loan(BORROWER, "read", TODAY, TODAY, False)
        for refused in (OTHER_HEAD, MANAGER, AUDITOR, FILER):
            with pytest.raises(Forbidden):
                record.approve_loan(refused, loan_id)
        record.approve_loan(approver, loan_id)
        assert record.loan is not None
        assert record.loan.state == "approved"
        assert record.collect_events()[-1].approved_as == approved_as  # type: ignore[attr-defined]


def test_a_heads_own_loan_is_approved_by_the_archivist() -> None:
    record = bound()
    loan_id = record.apply_for_loan(SALES_HEAD, "read", TODAY, TODAY, False)
    with pytest.raises(Forbidden):
        record.approve_loan(SALES_HEAD, loan_id)
    record.approve_loan(ARCHIVIST, loan_id)


# --- a loan closed as lost or damaged ------------------------------------------------------


def close(record: Record, loan_id: UUID, outcome: LoanLoss, actor: Actor = ARCHIVIST) -> None:
    record.close_loan_lost_or_damaged(
        actor,
        loan_id,
        outcome=outcome,
        reported_by=ReportedBy.BORROWER,
        account="Left on the train on 27 November",
        today=TODAY,
    )


def test_a_lost_record_leaves_circulation() -> None:
    record, loan_id = lent(Medium.PHYSICAL)
    with pytest.raises(Forbidden):
        close(record, loan_id, LoanLoss.LOST, actor=SALES_HEAD)
    close(record, loan_id, LoanLoss.LOST)
    assert record.state == RecordState.LOST
    assert record.loan is None
    with pytest.raises(InvalidTransition):
        record.apply_for_loan(BORROWER, "read", TODAY, TODAY, False)
    with pytest.raises(InvalidTransition, match="lost"):
        record.locate(ARCHIVIST, room="B2", shelf="1", box="1")
    with pytest.raises(InvalidTransition, match="lost"):
        record.destroy(ARCHIVIST, list_id=uuid4(), approved_by="boss", witness="w", method="m")
    # Nothing lent any more: the deadline check finds no loan to raise overdue.
    with pytest.raises(RuleViolation):
        record.loan_overdue(loan_id, datetime(2026, 12, 5, tzinfo=UTC))


def test_a_damaged_record_is_back_flagged_and_may_be_lent_again() -> None:
    record, loan_id = lent(Medium.PHYSICAL)
    close(record, loan_id, LoanLoss.DAMAGED)
    assert record.state == RecordState.BOUND
    assert record.damage == "Left on the train on 27 November"
    assert record.loan is None
    record.apply_for_loan(BORROWER, "read", TODAY, TODAY, False)


def test_only_a_lent_physical_records_loan_is_closed_as_lost() -> None:
    record = bound_physical()
    loan_id = record.apply_for_loan(BORROWER, "read", TODAY, TODAY, False)
    with pytest.raises(InvalidTransition, match="not lent"):
        close(record, loan_id, LoanLoss.LOST)
    electronic, electronic_loan = lent()
    with pytest.raises(InvalidTransition, match="electronic"):
        close(electronic, electronic_loan, LoanLoss.LOST)
    record.approve_loan(SALES_HEAD, loan_id)
    record.lend(ARCHIVIST, loan_id, TODAY)
    with pytest.raises(RuleViolation) as blank:
        record.close_loan_lost_or_damaged(
            ARCHIVIST,
            loan_id,
            outcome=LoanLoss.LOST,
            reported_by=ReportedBy.ARCHIVIST,
            account="",
            today=TODAY,
        )
    assert blank.value.field == "account"
    close(record, loan_id, LoanLoss.LOST)
    with pytest.raises(RuleViolation):  # the loan is over
        close(record, loan_id, LoanLoss.DAMAGED)
