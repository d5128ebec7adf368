"""The budget's rules (REGULATIONS 7.1, 7.2), without I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Money, Role, RuleViolation
from bizdev_finance.domain import (
    Budget,
    BudgetState,
    ExpenseState,
    Period,
    PlannedLine,
    line_totals,
)
from hypothesis import given, settings
from hypothesis import strategies as st

FINANCE = Actor("fay", "finance", frozenset({Role.FINANCE, Role.EMPLOYEE}))
BOSS = Actor("mo", "management", frozenset({Role.MANAGEMENT}))
BOSS_2 = Actor("mia", "management", frozenset({Role.MANAGEMENT}))
REQUESTER = Actor("rex", "sales", frozenset({Role.EMPLOYEE}))
AUDITOR = Actor("al", "audit", frozenset({Role.AUDITOR}))
MARKETING = UUID(int=1)
PERSONNEL = UUID(int=2)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def budget(contingency: str = "0") -> Budget:
    b = Budget.open_for_plan(
        uuid4(),
        "Smart lighting",
        "sales",
        1,
        [
            PlannedLine(MARKETING, "marketing", cny("1000.00")),
            PlannedLine(PERSONNEL, "personnel", cny("500.00")),
        ],
    )
    b.approve(FINANCE, Decimal(contingency))
    return b


def spend(b: Budget, amount: str, line: UUID = MARKETING, **why: str) -> UUID:
    return b.record_expense(
        REQUESTER,
        line_id=line,
        amount=cny(amount),
        spent_on=date(2026, 3, 2),
        vendor="Printers Ltd",
        description="Brochures",
        **why,
    )


WHY = {"reason": "Paper prices rose", "necessity": "The trade show is next week"}


def test_an_expense_of_exactly_what_remains_is_posted_one_cent_more_is_held() -> None:
    b = budget()
    spend(b, "400.00")
    exact = spend(b, "600.00")
    assert b.expenses[exact]["state"] is ExpenseState.POSTED
    assert b.actual_of(MARKETING) == cny("1000.00")

    b = budget()
    spend(b, "400.00")
    with pytest.raises(RuleViolation) as refused:
        spend(b, "600.01")
    assert refused.value.field == "reason"
    held = spend(b, "600.01", **WHY)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL
    assert b.actual_of(MARKETING) == cny("400.00")
    assert b.pending[MARKETING] == cny("600.01")


def test_the_contingency_raises_the_ceiling() -> None:
    b = budget("5")
    assert b.ceiling(MARKETING) == Decimal("1050.00")
    posted = spend(b, "1050.00")
    assert b.expenses[posted]["state"] is ExpenseState.POSTED
    held = spend(b, "0.01", **WHY)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL
    overruns = [e for e in b.collect_events() if isinstance(e, Budget.LineOverrun)]
    assert len(overruns) == 1
    assert overruns[0].line_actual == cny("1050.00")


def test_an_expense_in_another_currency_is_refused() -> None:
    b = budget()
    with pytest.raises(RuleViolation) as refused:
        b.record_expense(
            REQUESTER,
            line_id=MARKETING,
            amount=Money(Decimal("10.00"), "USD"),
            spent_on=date(2026, 3, 2),
            vendor="V",
            description="D",
        )
    assert refused.value.field == "amount"
    assert not b.expenses


def test_overspend_is_approved_only_by_management_never_by_the_requester() -> None:
    b = budget()
    held = spend(b, "1000.01", **WHY)
    with pytest.raises(Forbidden):
        b.approve_overspend(FINANCE, held)
    with pytest.raises(Forbidden):
        b.approve_overspend(AUDITOR, held)
    requester_in_management = Actor("rex", "sales", frozenset({Role.MANAGEMENT}))
    with pytest.raises(Forbidden):
        b.approve_overspend(requester_in_management, held)
    with pytest.raises(Forbidden):
        b.refuse_overspend(requester_in_management, held, "no")
    b.approve_overspend(BOSS, held)
    assert b.expenses[held]["state"] is ExpenseState.POSTED
    assert b.actual_of(MARKETING) == cny("1000.01")
    with pytest.raises(InvalidTransition):
        b.refuse_overspend(BOSS_2, held, "too late")


def test_a_refused_overspend_is_never_posted() -> None:
    b = budget()
    held = spend(b, "2000.00", **WHY)
    with pytest.raises(RuleViolation):
        b.refuse_overspend(BOSS, held, " ")
    b.refuse_overspend(BOSS, held, "Not this quarter")
    assert b.expenses[held]["state"] is ExpenseState.REFUSED
    assert b.actual_of(MARKETING) == cny("0")
    assert b.pending[MARKETING] == cny("0")


def test_only_finance_approves_and_revises_and_every_version_is_kept() -> None:
    b = Budget.open_for_plan(
        uuid4(), "P", "sales", 1, [PlannedLine(MARKETING, "marketing", cny("100.00"))]
    )
    with pytest.raises(Forbidden):
        b.approve(BOSS, Decimal(0))
    with pytest.raises(InvalidTransition):
        b.record_expense(
            REQUESTER,
            line_id=MARKETING,
            amount=cny("1.00"),
            spent_on=date(2026, 1, 1),
            vendor="V",
            description="D",
        )
    with pytest.raises(RuleViolation) as refused:
        b.approve(FINANCE, Decimal("100.5"))
    assert refused.value.field == "contingency_percent"
    b.approve(FINANCE, Decimal("10"))
    spend(b, "50.00")
    with pytest.raises(RuleViolation):  # a line spent on cannot go
        b.revise(
            FINANCE,
            reason="r",
            lines=[PlannedLine(PERSONNEL, "personnel", cny("1.00"))],
            contingency_percent=Decimal(0),
        )
    b.revise(
        FINANCE,
        reason="Prices rose",
        lines=[
            PlannedLine(MARKETING, "marketing", cny("150.00")),
            PlannedLine(PERSONNEL, "personnel", cny("80.00")),
        ],
        contingency_percent=Decimal("2.5"),
    )
    assert b.budget_version == 2
    assert b.state is BudgetState.APPROVED
    assert [v["budget_version"] for v in b.versions] == [1, 2]
    assert {c["change"] for c in b.versions[1]["changes"]} == {"changed", "added"}
    assert b.plan_revised(2, [PlannedLine(MARKETING, "marketing", cny("200.00"))])
    assert not b.plan_revised(2, [PlannedLine(MARKETING, "marketing", cny("1.00"))])
    assert b.budget_version == 3
    assert b.state is BudgetState.DRAFT
    assert b.versions[2]["changes"][0]["change"] == "changed"


# --- property: the totals kept equal the sums recomputed from the events -------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900.00"), places=2)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("spend"), st.sampled_from([MARKETING, PERSONNEL]), amounts),
        st.tuples(st.just("approve"), st.integers(0, 20), st.none()),
        st.tuples(st.just("refuse"), st.integers(0, 20), st.none()),
        st.tuples(st.just("revise"), st.sampled_from(["0", "5", "12.5"]), amounts),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_line_totals_equal_the_sums_recomputed_from_the_events(plan: list) -> None:
    """Against the domain's own totals (the read model's SQL is checked by the integration
    test of spending): whatever the sequence, actual and pending per line equal the sums of
    the events' amounts."""
    b = budget()
    for kind, x, amount in plan:
        held = [k for k, e in b.expenses.items() if e["state"] is ExpenseState.PENDING_APPROVAL]
        if kind == "spend":
            spend(b, str(amount), line=x, **WHY)
        elif kind in ("approve", "refuse") and held:
            chosen = held[x % len(held)]
            if kind == "approve":
                b.approve_overspend(BOSS, chosen)
            else:
                b.refuse_overspend(BOSS, chosen, "No")
        elif kind == "revise":
            b.revise(
                FINANCE,
                reason="Prices",
                lines=[
                    PlannedLine(MARKETING, "marketing", cny(str(amount))),
                    PlannedLine(PERSONNEL, "personnel", cny("500.00")),
                ],
                contingency_percent=Decimal(x),
            )
    events = b.collect_events()
    for line_id, (actual, pending) in line_totals(events).items():
        assert b.actual_of(line_id).amount == actual
        assert b.pending.get(line_id, cny("0")).amount == pending
    for line_id in (MARKETING, PERSONNEL):
        posted = sum(
            (e["amount"].amount for e in b.expenses.values()
             if e["line_id"] == line_id and e["state"] is ExpenseState.POSTED),
            Decimal(0),
        )  # fmt: skip
        assert b.actual_of(line_id).amount == posted


def test_a_posting_dated_in_a_closed_period_is_refused() -> None:
    with pytest.raises(Forbidden):
        Period.close(BOSS, 2026, 2, date(2026, 3, 1))
    with pytest.raises(RuleViolation) as refused:
        Period.close(FINANCE, 2026, 3, date(2026, 3, 31))
    assert refused.value.field == "month"
    february = Period.close(FINANCE, 2026, 2, date(2026, 3, 1))
    assert (february.month, february.first_day, february.last_day) == (
        "2026-02",
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert Period.close(FINANCE, 2025, 12, date(2026, 1, 1)).last_day == date(2025, 12, 31)

    b = budget()
    with pytest.raises(RuleViolation) as refused:
        b.record_expense(
            REQUESTER,
            line_id=MARKETING,
            amount=cny("1.00"),
            spent_on=date(2026, 2, 27),
            vendor="V",
            description="D",
            period_closed=True,
        )
    assert refused.value.field == "spent_on"
    held = spend(b, "1000.01", **WHY)
    with pytest.raises(InvalidTransition):
        b.approve_overspend(BOSS, held, period_closed=True)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL


def test_a_period_report_is_final_only_once_every_line_past_the_threshold_is_explained() -> None:
    period = Period.close(FINANCE, 2026, 2, date(2026, 3, 1))
    budget_id = uuid4()
    over = {(budget_id, MARKETING)}
    with pytest.raises(RuleViolation) as refused:
        period.finalize(FINANCE, over)
    assert refused.value.field == "explanations"
    with pytest.raises(Forbidden):
        period.explain(BOSS, budget_id, MARKETING, reason="r", improvement="i")
    with pytest.raises(RuleViolation):
        period.explain(FINANCE, budget_id, MARKETING, reason="Prices", improvement=" ")
    period.explain(FINANCE, budget_id, MARKETING, reason="Prices", improvement="Book early")
    period.finalize(FINANCE, over)
    assert period.final
    with pytest.raises(InvalidTransition):
        period.explain(FINANCE, budget_id, PERSONNEL, reason="r", improvement="i")
