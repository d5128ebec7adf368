"""Customer status, owner and visit cycle (REGULATIONS 4.1, 4.2) and contracts with customers,
on the aggregates alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common.domain import Forbidden, InvalidTransition, Money, RuleViolation
from bizdev_crm.domain import Contract, ContractNumber, ContractState, Customer

from .test_domain import ALICE, CYCLE, OWNER, TODAY, auditor, customer, employee, head, manager

VALUE = Money(Decimal("480000.00"), "CNY")


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# --- status and owner ------------------------------------------------------------------------


def test_a_new_customer_is_a_prospect_due_a_visit_within_its_cycle() -> None:
    c = customer()
    assert (c.status, c.next_visit_due_on) == ("prospect", TODAY + timedelta(days=30))


def test_status_changes_by_owner_head_or_management_and_losses_need_a_reason() -> None:
    c = customer()  # owned by alice, in sales
    with pytest.raises(Forbidden):
        c.change_status(employee("eve"), status="active", reason="", today=TODAY, visit_cycle=CYCLE)
    with pytest.raises(Forbidden):
        c.change_status(auditor(), status="active", reason="", today=TODAY, visit_cycle=CYCLE)
    with pytest.raises(Forbidden):
        c.change_status(
            head("hal", "market"), status="active", reason="", today=TODAY, visit_cycle=CYCLE
        )
    c.change_status(ALICE, status="active", reason="", today=TODAY, visit_cycle=CYCLE)
    assert (c.status, c.next_visit_due_on) == ("active", TODAY + timedelta(days=60))
    with pytest.raises(RuleViolation) as same:
        c.change_status(head(), status="active", reason="", today=TODAY, visit_cycle=CYCLE)
    assert same.value.field == "status"
    for status in ("dormant", "lost"):
        with pytest.raises(RuleViolation) as unexplained:
            c.change_status(head(), status=status, reason=" ", today=TODAY, visit_cycle=CYCLE)
        assert unexplained.value.field == "reason"
    with pytest.raises(RuleViolation) as unknown:
        c.change_status(head(), status="gone", reason="x", today=TODAY, visit_cycle=CYCLE)
    assert unknown.value.field == "status"
    c.change_status(manager(), status="lost", reason="Went to a rival", today=TODAY,
                    visit_cycle=CYCLE)  # fmt: skip
    assert (c.status, c.status_reason, c.next_visit_due_on) == ("lost", "Went to a rival", None)


def test_the_owner_is_reassigned_by_the_head_of_the_customers_department_or_management() -> None:
    c = customer()
    with pytest.raises(Forbidden):
        c.reassign_owner(ALICE, owner="olga", reason="Leaving")  # the owner is not enough
    with pytest.raises(Forbidden):
        c.reassign_owner(head("hal", "market"), owner="olga", reason="")
    c.reassign_owner(head(), owner="olga", reason="Alice moves to export")
    assert (c.owner, c.department) == ("olga", "sales")
    with pytest.raises(RuleViolation) as same:
        c.reassign_owner(manager(), owner="olga", reason="")
    assert same.value.field == "owner"
    c.reassign_owner(manager(), owner="pete", reason="")
    assert c.owner == "pete"


# --- visit cycle -----------------------------------------------------------------------------


def test_a_customer_not_visited_in_time_is_overdue_once_per_missed_cycle() -> None:
    c = customer()
    due = TODAY + timedelta(days=30)
    with pytest.raises(InvalidTransition, match="to be visited by"):
        c.follow_up_overdue(noon(due), CYCLE)
    c.follow_up_overdue(noon(due + timedelta(days=1)), CYCLE)
    [*_, overdue] = c.collect_events()
    assert isinstance(overdue, Customer.FollowUpOverdue)
    assert (overdue.due_on, overdue.owner, overdue.by) == (due, "alice", None)
    assert overdue.next_visit_due_on == due + timedelta(days=30)
    with pytest.raises(InvalidTransition, match="to be visited by"):
        c.follow_up_overdue(noon(due + timedelta(days=2)), CYCLE)  # the same cycle again
    c.follow_up_overdue(noon(due + timedelta(days=31)), CYCLE)  # the next cycle missed too
    assert c.next_visit_due_on == due + timedelta(days=60)


def test_cycles_missed_while_nobody_looked_make_one_report() -> None:
    c = customer()
    due = TODAY + timedelta(days=30)
    c.follow_up_overdue(noon(due + timedelta(days=400)), CYCLE)
    assert c.next_visit_due_on == due + timedelta(days=30 * 14)  # the cycle running then
    with pytest.raises(InvalidTransition):
        c.follow_up_overdue(noon(due + timedelta(days=401)), CYCLE)


def test_a_visit_restarts_the_cycle_from_the_latest_visit() -> None:
    c = customer()
    c.record_visit(by="alice", follow_up_id=uuid4(), visited_on=TODAY + timedelta(10),
                   visit_cycle=CYCLE)  # fmt: skip
    assert c.next_visit_due_on == TODAY + timedelta(days=40)
    c.record_visit(by="alice", follow_up_id=uuid4(), visited_on=TODAY + timedelta(5),
                   visit_cycle=CYCLE)  # fmt: skip  # recorded late: the latest visit counts
    assert (c.last_visited_on, c.next_visit_due_on) == (
        TODAY + timedelta(10),
        TODAY + timedelta(days=40),
    )


def test_a_lost_customer_owes_no_visit() -> None:
    c = customer()
    c.change_status(ALICE, status="lost", reason="Closed down", today=TODAY, visit_cycle=CYCLE)
    with pytest.raises(InvalidTransition, match="owes no visit"):
        c.follow_up_overdue(noon(TODAY + timedelta(days=400)), CYCLE)


# --- contracts -------------------------------------------------------------------------------


def drafted(actor=ALICE, **overrides: object) -> Contract:  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {"number": "HT-2026-001", "title": "Warehouse pilot",
                                 "value": VALUE}  # fmt: skip
    fields.update(overrides)
    contract, _ = Contract.draft(actor, customer(), **fields)  # type: ignore[arg-type]
    return contract


def test_a_contract_is_drafted_signed_and_completed_with_its_number_taken() -> None:
    project = uuid4()
    contract, number = Contract.draft(
        ALICE, customer(), number="  HT-2026-001 ", title="Warehouse pilot", value=VALUE,
        project_id=project,
    )  # fmt: skip
    assert (contract.state, contract.number, contract.salesperson) == ("draft", "HT-2026-001",
                                                                       "alice")  # fmt: skip
    assert (number.number, number.contract_id) == ("HT-2026-001", contract.id)
    assert number.id == ContractNumber.create_id("ht-2026-001")  # case and spaces do not count
    assert number.id != ContractNumber.create_id("HT-2026-002")
    with pytest.raises(Forbidden, match="own submission"):
        contract.sign(head("alice"), signed_on=TODAY, today=TODAY)  # the salesperson
    with pytest.raises(RuleViolation) as future:
        contract.sign(head(), signed_on=TODAY + timedelta(1), today=TODAY)
    assert future.value.field == "signed_on"
    contract.sign(head(), signed_on=TODAY, today=TODAY)
    [*_, signed] = contract.collect_events()
    assert isinstance(signed, Contract.Signed)
    assert (signed.number, signed.salesperson, signed.project_id, signed.value) == (
        "HT-2026-001", "alice", project, VALUE,
    )  # fmt: skip
    with pytest.raises(RuleViolation) as early:
        contract.complete(ALICE, completed_on=TODAY - timedelta(1), today=TODAY)
    assert early.value.field == "completed_on"
    with pytest.raises(Forbidden):
        contract.complete(employee("eve"), completed_on=TODAY, today=TODAY)
    contract.complete(ALICE, completed_on=TODAY, today=TODAY)
    assert contract.state == ContractState.COMPLETED


def test_who_drafts_a_contract() -> None:
    with pytest.raises(Forbidden):
        drafted(employee("mo", "market"))  # another department, not the owner
    with pytest.raises(Forbidden):
        drafted(auditor())
    assert drafted(employee("sam")).department == "sales"
    assert drafted(manager()).salesperson == "carol"
    assert drafted(ALICE, salesperson="olga").salesperson == OWNER.user_id


@pytest.mark.parametrize(
    ("field", "value"),
    [("number", " "), ("title", ""), ("value", Money(Decimal("0"), "CNY")), ("salesperson", " ")],
)
def test_a_draft_needs_its_content(field: str, value: object) -> None:
    with pytest.raises(RuleViolation) as refused:
        drafted(**{field: value})
    assert refused.value.field == field


def test_termination_by_the_head_or_management_with_a_reason_and_no_way_back() -> None:
    contract = drafted()
    with pytest.raises(Forbidden):
        contract.terminate(ALICE, reason="Customer withdrew", today=TODAY)
    with pytest.raises(RuleViolation) as unexplained:
        contract.terminate(head(), reason=" ", today=TODAY)
    assert unexplained.value.field == "reason"
    contract.sign(manager(), signed_on=TODAY, today=TODAY)
    contract.terminate(manager(), reason="Customer withdrew", today=TODAY)
    assert (contract.state, contract.termination_reason) == ("terminated", "Customer withdrew")
    for command in (
        lambda: contract.sign(head(), signed_on=TODAY, today=TODAY),
        lambda: contract.complete(head(), completed_on=TODAY, today=TODAY),
        lambda: contract.terminate(head(), reason="Again", today=TODAY),
    ):
        with pytest.raises(InvalidTransition):
            command()


def test_a_draft_is_not_completed() -> None:
    with pytest.raises(InvalidTransition):
        drafted().complete(head(), completed_on=TODAY, today=TODAY)
