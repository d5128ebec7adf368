"""The budget's rules (REGULATIONS 7.1, 7.2), without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from uuid import UUID, uuid4

import pytest
from bizdev_common.days import company_day, company_time_zone, decided_in_utc
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Money, Role, RuleViolation
from bizdev_finance.domain import (
    Books,
    Budget,
    BudgetState,
    ExpenseState,
    Period,
    PlannedLine,
    ProjectTeam,
    close_month,
    line_totals,
)
from bizdev_finance.published import CONTRACT, PeriodClosed
from hypothesis import given, settings
from hypothesis import strategies as st

FINANCE = Actor("fay", "finance", frozenset({Role.FINANCE, Role.EMPLOYEE}))
BOSS = Actor("mo", "management", frozenset({Role.MANAGEMENT}))
BOSS_2 = Actor("mia", "management", frozenset({Role.MANAGEMENT}))
REQUESTER = Actor("rex", "sales", frozenset({Role.EMPLOYEE}))
LEAD = Actor("lee", "ops", frozenset({Role.EMPLOYEE, Role.TEAM_LEAD}))
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


def team_of(b: Budget) -> ProjectTeam:
    """The project's team as projects told finance: lead `lee`, the requester a member."""
    team = ProjectTeam(project_id=b.project_id)
    team.lead_appointed(2, LEAD.user_id)
    team.member_added(3, REQUESTER.user_id)
    return team


def spend(b: Budget, amount: str, line: UUID = MARKETING, **why: str) -> UUID:
    return b.record_expense(
        REQUESTER,
        team_of(b),
        line_id=line,
        amount=cny(amount),
        spent_on=date(2026, 3, 2),
        vendor="Printers Ltd",
        description="Brochures",
        **why,
    )


WHY = {"reason": "Paper prices rose", "necessity": "The trade show is next week"}


def pay(b: Budget, expense_id: UUID, day: date = date(2026, 3, 5)) -> None:
    b.pay_expense(FINANCE, expense_id, paid_on=day, today=date(2026, 11, 1))


def test_an_expense_of_exactly_what_remains_is_committed_one_cent_more_is_held() -> None:
    b = budget()
    pay(b, spend(b, "400.00"))  # 400 actual
    exact = spend(b, "600.00")
    assert b.expenses[exact]["state"] is ExpenseState.COMMITTED
    assert b.taken(MARKETING) == cny("1000.00")

    b = budget()
    pay(b, spend(b, "300.00"))
    spend(b, "100.00")  # committed and actual both count against the ceiling
    with pytest.raises(RuleViolation) as refused:
        spend(b, "600.01")
    assert refused.value.field == "reason"
    held = spend(b, "600.01", **WHY)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL
    assert (b.actual_of(MARKETING), b.committed_of(MARKETING)) == (cny("300.00"), cny("100.00"))
    assert b.pending[MARKETING] == cny("600.01")


def test_committed_becomes_actual_when_finance_records_the_payment() -> None:
    b = budget()
    expense = spend(b, "250.00")
    assert (b.committed_of(MARKETING), b.actual_of(MARKETING)) == (cny("250.00"), cny("0"))
    with pytest.raises(Forbidden):
        b.pay_expense(REQUESTER, expense, paid_on=date(2026, 3, 5), today=date(2026, 11, 1))
    with pytest.raises(RuleViolation) as refused:
        pay(b, expense, date(2026, 3, 1))  # before it was spent
    assert refused.value.field == "paid_on"
    with pytest.raises(RuleViolation):
        b.pay_expense(FINANCE, expense, paid_on=date(2026, 3, 5), today=date(2026, 3, 4))
    pay(b, expense)
    assert b.expenses[expense]["state"] is ExpenseState.POSTED
    assert (b.committed_of(MARKETING), b.actual_of(MARKETING)) == (cny("0"), cny("250.00"))
    with pytest.raises(InvalidTransition):
        pay(b, expense)  # paid once
    names = [type(e).__name__ for e in b.collect_events()][-2:]
    assert names == ["ExpenseCommitted", "ExpensePosted"]


def test_the_contingency_raises_the_ceiling() -> None:
    b = budget("5")
    assert b.ceiling(MARKETING) == Decimal("1050.00")
    committed = spend(b, "1050.00")
    assert b.expenses[committed]["state"] is ExpenseState.COMMITTED
    held = spend(b, "0.01", **WHY)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL
    assert not [e for e in b.collect_events() if isinstance(e, Budget.LineOverrun)]
    pay(b, committed)  # the actual passes the budget: the overrun is published, once
    overruns = [e for e in b.collect_events() if isinstance(e, Budget.LineOverrun)]
    assert len(overruns) == 1
    assert overruns[0].line_actual == cny("1050.00")


def test_an_expense_in_another_currency_is_refused() -> None:
    b = budget()
    with pytest.raises(RuleViolation) as refused:
        b.record_expense(
            REQUESTER,
            team_of(b),
            line_id=MARKETING,
            amount=Money(Decimal("10.00"), "USD"),
            spent_on=date(2026, 3, 2),
            vendor="V",
            description="D",
        )
    assert refused.value.field == "amount"
    assert not b.expenses


def book(b: Budget, actor: Actor, team: ProjectTeam | None) -> UUID:
    return b.record_expense(
        actor,
        team,
        line_id=MARKETING,
        amount=cny("10.00"),
        spent_on=date(2026, 3, 2),
        vendor="V",
        description="D",
    )


def test_expenses_are_booked_by_the_projects_team_its_head_and_finance_only() -> None:
    b = budget()
    team = team_of(b)
    outsiders = [
        Actor("hana", "hr", frozenset({Role.HR, Role.EMPLOYEE})),
        Actor("ari", "records", frozenset({Role.ARCHIVIST, Role.EMPLOYEE})),
        Actor("olga", "ops", frozenset({Role.EMPLOYEE})),  # another department
        Actor("sam", "sales", frozenset({Role.EMPLOYEE})),  # the project's, not on the team
        Actor("hugo", "ops", frozenset({Role.DEPARTMENT_HEAD, Role.EMPLOYEE})),
        Actor("lin", "sales", frozenset({Role.TEAM_LEAD})),  # leads some other project
        BOSS,  # management approves overspend, books nothing of a team it is not on
        AUDITOR,
        # On the team, acting only in a role that carries no project work.
        Actor(REQUESTER.user_id, "sales", frozenset({Role.HR})),
    ]
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            book(b, outsider, team)
    assert not b.expenses

    head = Actor("hedy", "sales", frozenset({Role.DEPARTMENT_HEAD, Role.EMPLOYEE}))
    for allowed in (REQUESTER, LEAD, head, FINANCE):
        expense = book(b, allowed, team)
        assert b.expenses[expense]["requester"] == allowed.user_id


def test_the_team_as_projects_changes_it_decides_who_books() -> None:
    b = budget()
    team = team_of(b)
    assert team.lead_appointed(4, "nell")  # lee, replaced, stays on the team
    book(b, LEAD, team)
    book(b, Actor("nell", "ops", frozenset({Role.TEAM_LEAD})), team)
    assert team.member_removed(5, REQUESTER.user_id)
    with pytest.raises(Forbidden):
        book(b, REQUESTER, team)
    # A redelivered or older change changes nothing.
    assert not team.member_added(3, REQUESTER.user_id)
    assert not team.member_removed(5, LEAD.user_id)
    assert REQUESTER.user_id not in team.members
    assert LEAD.user_id in team.members
    # A team finance has not heard of yet: only the head and finance book.
    with pytest.raises(Forbidden):
        book(b, LEAD, None)
    book(b, FINANCE, None)


def test_an_outsider_is_refused_before_the_budget_state_is_told() -> None:
    b = Budget.open_for_plan(
        uuid4(), "P", "sales", 1, [PlannedLine(MARKETING, "marketing", cny("100.00"))]
    )
    with pytest.raises(Forbidden):  # a 403, not the draft's 409
        book(b, Actor("hana", "hr", frozenset({Role.HR, Role.EMPLOYEE})), team_of(b))
    with pytest.raises(InvalidTransition):
        book(b, REQUESTER, team_of(b))


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
    assert b.expenses[held]["state"] is ExpenseState.COMMITTED
    assert b.committed_of(MARKETING) == cny("1000.01")
    assert b.expenses[held]["approved_by"] == BOSS.user_id
    with pytest.raises(InvalidTransition):
        b.refuse_overspend(BOSS_2, held, "too late")


def test_a_refused_overspend_is_never_posted() -> None:
    b = budget()
    held = spend(b, "2000.00", **WHY)
    with pytest.raises(RuleViolation):
        b.refuse_overspend(BOSS, held, " ")
    b.refuse_overspend(BOSS, held, "Not this quarter")
    assert b.expenses[held]["state"] is ExpenseState.REFUSED
    assert b.taken(MARKETING) == cny("0")
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
            team_of(b),
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
        st.tuples(st.just("pay"), st.integers(0, 20), st.none()),
        st.tuples(st.just("revise"), st.sampled_from(["0", "5", "12.5"]), amounts),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_line_totals_equal_the_sums_recomputed_from_the_events(plan: list) -> None:
    """Against the domain's own totals (the read model's are checked by the integration
    test of the same property): whatever the sequence, committed, actual and pending per
    line equal the sums of the events' amounts."""
    b = budget()
    for kind, x, amount in plan:
        held = [k for k, e in b.expenses.items() if e["state"] is ExpenseState.PENDING_APPROVAL]
        unpaid = [k for k, e in b.expenses.items() if e["state"] is ExpenseState.COMMITTED]
        if kind == "spend":
            spend(b, str(amount), line=x, **WHY)
        elif kind == "pay" and unpaid:
            pay(b, unpaid[x % len(unpaid)])
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
    totals = line_totals(events)
    for line_id in (MARKETING, PERSONNEL):
        committed, actual, pending = totals.get(line_id, (Decimal(0),) * 3)
        assert b.committed_of(line_id).amount == committed
        assert b.actual_of(line_id).amount == actual
        assert b.pending.get(line_id, cny("0")).amount == pending
        for state, total in ((ExpenseState.COMMITTED, committed), (ExpenseState.POSTED, actual)):
            assert total == sum(
                (e["amount"].amount for e in b.expenses.values()
                 if e["line_id"] == line_id and e["state"] is state),
                Decimal(0),
            )  # fmt: skip


def close(
    year: int,
    month: int,
    *budgets: Budget,
    today: date = date(2026, 11, 1),
    threshold: str = "10",
    books: Books | None = None,
) -> tuple[Books, Period]:
    books = books or Books()
    for b in budgets:
        books.enter(b.id)
    period = close_month(
        FINANCE,
        year,
        month,
        today=today,
        time_zone="UTC",
        threshold_percent=Decimal(threshold),
        books=books,
        budgets=budgets,
    )
    return books, period


def test_a_posting_dated_in_a_closed_period_is_refused() -> None:
    books = Books()
    with pytest.raises(Forbidden):
        close_month(
            BOSS, 2026, 2, today=date(2026, 3, 1), time_zone="UTC", threshold_percent=Decimal(10),
            books=books, budgets=[],
        )  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        close_month(
            FINANCE, 2026, 3, today=date(2026, 3, 31), time_zone="UTC",
            threshold_percent=Decimal(10), books=books, budgets=[],
        )  # fmt: skip
    assert refused.value.field == "month"
    b = budget()
    held = spend(b, "1000.01", **WHY)
    unpaid = spend(b, "10.00", line=PERSONNEL)
    _, february = close(2026, 2, b, today=date(2026, 3, 1))
    assert (february.month, february.first_day, february.last_day) == (
        "2026-02",
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    books, _ = close(2026, 3, b)  # the month the expenses are dated in
    with pytest.raises(RuleViolation) as refused:
        spend(b, "1.00")
    assert refused.value.field == "spent_on"
    with pytest.raises(InvalidTransition):
        b.approve_overspend(BOSS, held)
    assert b.expenses[held]["state"] is ExpenseState.PENDING_APPROVAL
    with pytest.raises(RuleViolation) as refused:
        pay(b, unpaid, date(2026, 3, 31))
    assert refused.value.field == "paid_on"
    pay(b, unpaid, date(2026, 4, 1))  # committed in March, paid in an open month

    with pytest.raises(InvalidTransition):
        close(2026, 3, b, books=books)  # the books know it is closed
    later = Budget.open_for_plan(
        uuid4(), "P", "sales", 1, [PlannedLine(MARKETING, "marketing", cny("9.00"))],
        closed_months=books.closed_months,
    )  # fmt: skip
    later.approve(FINANCE, Decimal(0))
    with pytest.raises(RuleViolation):
        spend(later, "1.00")


def test_the_close_records_the_lines_past_the_threshold_from_the_budgets() -> None:
    b = budget()
    pay(b, spend(b, "1000.00"))
    over = spend(b, "100.01", **WHY)  # 10.001 % over once paid: past a 10 % threshold
    b.approve_overspend(BOSS, over)
    pay(b, over, date(2026, 3, 31))
    pay(b, spend(b, "500.00", line=PERSONNEL, **WHY), date(2026, 4, 2))  # paid after March
    lines = b.figures(date(2026, 3, 31))
    assert (lines[MARKETING].committed, lines[MARKETING].actual) == (cny("0"), cny("1100.01"))
    assert lines[MARKETING].variance_percent == Decimal("-10.00")  # rounded as reported
    assert (lines[PERSONNEL].committed, lines[PERSONNEL].actual) == (cny("500.00"), cny("0"))
    _, period = close(2026, 3, b)
    assert period.threshold_percent == Decimal(10)
    assert period.flagged == set()

    b = budget()
    pay(b, spend(b, "1000.00"))
    over = spend(b, "100.10", **WHY)
    b.approve_overspend(BOSS, over)
    pay(b, over)  # -10.01 %
    _, strict = close(2026, 3, b)
    assert strict.flagged == {(b.id, MARKETING)}
    _, lenient = close(2026, 3, b, threshold="15")
    assert lenient.flagged == set()


def test_a_period_report_is_final_only_once_every_line_past_the_threshold_is_explained() -> None:
    b = budget()
    over = spend(b, "2000.00", **WHY)
    b.approve_overspend(BOSS, over)
    pay(b, over)
    _, period = close(2026, 3, b)
    with pytest.raises(RuleViolation) as refused:
        period.finalize(FINANCE)
    assert refused.value.field == "explanations"
    with pytest.raises(Forbidden):
        period.explain(BOSS, b.id, MARKETING, reason="r", improvement="i")
    with pytest.raises(RuleViolation):
        period.explain(FINANCE, b.id, MARKETING, reason="Prices", improvement=" ")
    period.explain(FINANCE, b.id, MARKETING, reason="Prices", improvement="Book early")
    period.finalize(FINANCE)
    assert period.final
    with pytest.raises(InvalidTransition):
        period.explain(FINANCE, b.id, PERSONNEL, reason="r", improvement="i")


@pytest.mark.parametrize(
    ("company_time", "over"),
    [((2026, 3, 31, 23, 30), False), ((2026, 4, 1, 0, 30), True)],
    ids=["23:30 on the last day", "00:30 the next day"],
)
def test_a_month_is_over_when_the_company_day_says_so(
    company_time: tuple[int, int, int, int, int], over: bool
) -> None:
    """In Asia/Shanghai, 00:30 on 1 April is still 31 March in UTC: the close of March turns
    on the company's day, as the application computes `today` from its clock."""
    with company_time_zone("Asia/Shanghai") as zone:
        now = datetime(*company_time, tzinfo=zone).astimezone(UTC)
        today = company_day(now)
    closing = partial(
        close_month,
        FINANCE,
        2026,
        3,
        time_zone="Asia/Shanghai",
        threshold_percent=Decimal(10),
        books=Books(),
        budgets=[],
    )
    if over:
        period = closing(today=today)
        assert period.month == "2026-03"
        closed = CONTRACT.to_public(period.collect_events()[0])
        assert isinstance(closed, PeriodClosed)
        assert closed.time_zone == "Asia/Shanghai"  # whose day said the month was over
        assert (Period.Closed.class_version, Period.Closed.upcast_v1_v2) == (2, decided_in_utc)
    else:
        with pytest.raises(RuleViolation, match="not over"):
            closing(today=today)
