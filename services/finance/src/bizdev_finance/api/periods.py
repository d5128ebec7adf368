"""Cost accounting and variance (REGULATIONS 7.3): monthly periods closed by finance;
budget against committed and actual per line, grouped by project, category or department,
as JSON or CSV; profit per project."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from bizdev_common.api import (
    Accepted,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    one_of,
    rows_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import minor_units
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_finance.api.access import Reach
from bizdev_finance.api.common import Change, Create
from bizdev_finance.domain import Period, variance_percent
from bizdev_finance.published import FlaggedLine

router = APIRouter(route_class=CommandRoute)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1900, le=2200)
    month: int = Field(ge=1, le=12)


class PeriodView(BaseModel):
    id: UUID
    version: int
    month: str
    first_day: date
    last_day: date
    closed_by: str
    threshold_percent: Decimal | None = Field(
        description="The variance threshold in force when it closed (null: closed before it "
        "was recorded)"
    )
    flagged_lines: list[FlaggedLine] = Field(
        description="The lines past the threshold at the close: those to explain"
    )
    final: bool = Field(description="Every line past the variance threshold is explained")
    created_at: datetime
    updated_at: datetime


class GroupBy(StrEnum):
    LINE = "line"
    PROJECT = "project"
    CATEGORY = "category"
    DEPARTMENT = "department"


class VarianceRow(BaseModel):
    """Budget against spending; variance = budget - actual (negative: overrun; REGULATIONS
    7.3 compares budget with actual), variance % of the budget. Amounts are in `currency`;
    rows never add currencies."""

    project_id: UUID | None
    project_name: str | None
    department: str | None
    category: str | None
    line_id: UUID | None
    currency: str
    budget: Decimal
    committed: Decimal = Field(description="Approved, not yet paid (as of `through`)")
    actual: Decimal = Field(description="Posted: paid (by `through`)")
    variance: Decimal
    variance_percent: Decimal | None = Field(description="Rounded to 2 places; null at budget 0")


class ProfitRow(BaseModel):
    """Revenue invoiced minus actual cost posted, per project and currency."""

    project_id: UUID
    currency: str
    revenue: Decimal
    cost: Decimal
    profit: Decimal


def _cents(currency: str) -> Decimal:
    """Sums of exact amounts shown with the currency's own places ("300000.00", not 3E+5);
    quantizing a sum of such amounts never rounds."""
    return Decimal(10) ** -(minor_units(currency) or 0)


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget_id: UUID
    line_id: UUID
    reason: Text = Field(description="Why the line varies")
    improvement: Text = Field(description="The improvement proposed")


class ExplainedRow(VarianceRow):
    budget_id: UUID | None
    needs_explanation: bool = Field(
        description="The close found its overrun past the threshold (PeriodClosed)"
    )
    reason: str | None
    improvement: str | None


class PeriodReport(BaseModel):
    """The period's variance per line: committed as spent by its last day and unpaid then,
    actual as paid by then. Which lines need an explanation the close decided and recorded."""

    period: PeriodView
    threshold_percent: Decimal | None
    lines: list[ExplainedRow]


PERIODS = ListQuery(
    "periods", filters=[], sorts=["month", "created_at"], text=["month"], default_sort="-month"
)

_KEYS: dict[GroupBy | None, list[str]] = {
    GroupBy.LINE: ["project_id", "project_name", "department", "category", "line_id"],
    # Not a grouping of its own: what the period report adds to the line's row.
    None: ["budget_id", "project_id", "project_name", "department", "category", "line_id"],
    GroupBy.PROJECT: ["project_id", "project_name", "department"],
    GroupBy.CATEGORY: ["category"],
    GroupBy.DEPARTMENT: ["department"],
}


@router.post(
    "/periods",
    status_code=201,
    response_model=Accepted,
    tags=["periods"],
    summary="Close a month that is over (finance)",
    description="Publishes PeriodClosed; expenses dated inside it are refused from then on.",
)
def close_period(body: CloseIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.close_period(actor, body.year, body.month))


@router.get(
    "/periods",
    response_model=Page[PeriodView],
    tags=["periods"],
    summary="Closed months, with the flagged lines of the budgets you may read",
)
async def list_periods(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(PERIODS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
) -> Page[PeriodView]:
    rows, total = await rows_of(rt, PERIODS, page, consistency, {})
    visible = await _visible_budgets(rt, Reach.of(rt, actor))
    return Page(
        items=[period_view(r, visible) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def _variance(
    rt: Runtime[Any, Any], reach: Reach, by: GroupBy, project_id: UUID | None, through: date | None
) -> list[VarianceRow]:
    rows = await _rows(rt, reach, by, project_id, through)
    return [VarianceRow.model_validate(r) for r in rows]


async def _rows(
    rt: Runtime[Any, Any],
    reach: Reach,
    by: GroupBy | None,
    project_id: UUID | None,
    through: date | None,
) -> list[dict[str, Any]]:
    """The lines the reader may see (Reach), grouped `by`."""
    schema = f'"{rt.settings.schema_name}"'
    keys = _KEYS[by]
    select = ", ".join(
        "l.budget_id"
        if k == "budget_id"
        else f"l.{k}"
        if k in ("line_id", "category")
        else f"b.{k}"
        for k in keys
    )
    visible, args = reach.sql(reach.projects("b.project_id"), 3)
    rows = await rt.pool.fetch(
        f"SELECT {select}, l.currency, sum(l.budget_amount) AS budget, "
        "sum(coalesce(e.committed, 0)) AS committed, sum(coalesce(e.actual, 0)) AS actual "
        f"FROM {schema}.budget_lines l JOIN {schema}.budgets b ON b.id = l.budget_id "
        # As Budget.figures: actual is paid by the day; committed spent by then, unpaid then.
        "LEFT JOIN (SELECT budget_id, line_id, "
        "sum(amount_amount) FILTER (WHERE state = 'posted' "
        "AND ($2::date IS NULL OR paid_on <= $2)) AS actual, "
        "sum(amount_amount) FILTER (WHERE (state = 'committed' OR (state = 'posted' "
        "AND $2::date IS NOT NULL AND paid_on > $2)) "
        "AND ($2::date IS NULL OR spent_on <= $2)) AS committed "
        f"FROM {schema}.expenses "
        "GROUP BY budget_id, line_id) e ON e.budget_id = l.budget_id AND e.line_id = l.line_id "
        f"WHERE l.in_force AND ($1::uuid IS NULL OR b.project_id = $1) AND {visible} "
        f"GROUP BY {select}, l.currency ORDER BY {select}, l.currency",
        project_id,
        through,
        *args,
    )
    out: list[dict[str, Any]] = []
    for r in rows:
        cents = _cents(r["currency"])
        variance = r["budget"] - r["actual"]
        percent = variance_percent(r["budget"], r["actual"])
        out.append(
            {
                **{k: r[k] if k in keys else None for k in _KEYS[None]},
                "currency": r["currency"],
                "budget": r["budget"].quantize(cents),
                "committed": r["committed"].quantize(cents),
                "actual": r["actual"].quantize(cents),
                "variance": variance.quantize(cents),
                "variance_percent": percent,
            }
        )
    return out


@router.get(
    "/reports/variance",
    response_model=list[VarianceRow],
    tags=["reports"],
    summary="Budget, committed, actual and variance, per line, project, category or department",
)
async def variance_report(
    actor: CurrentActor,
    rt: RuntimeDep,
    by: GroupBy = GroupBy.LINE,
    project_id: UUID | None = None,
    through: Annotated[
        Day | None, Query(description="Count expenses dated up to this day (a period's end)")
    ] = None,
) -> list[VarianceRow]:
    return await _variance(rt, Reach.of(rt, actor), by, project_id, through)


@router.get(
    "/reports/variance.csv",
    response_class=Response,
    tags=["reports"],
    summary="The variance report as CSV",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def variance_csv(
    actor: CurrentActor,
    rt: RuntimeDep,
    by: GroupBy = GroupBy.LINE,
    project_id: UUID | None = None,
    through: Annotated[
        Day | None, Query(description="Count expenses dated up to this day (a period's end)")
    ] = None,
) -> Response:
    rows = await _variance(rt, Reach.of(rt, actor), by, project_id, through)
    out = io.StringIO()
    writer = csv.writer(out)
    fields = list(VarianceRow.model_fields)
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if getattr(row, f) is None else str(getattr(row, f)) for f in fields])
    return Response(out.getvalue(), media_type="text/csv")


async def _visible_budgets(rt: Runtime[Any, Any], reach: Reach) -> set[UUID] | None:
    """The budgets the reader may see; None: every one."""
    condition = reach.projects()
    if condition is None:
        return None
    visible, args = reach.sql(condition, 1)
    schema = f'"{rt.settings.schema_name}"'
    return {
        r["id"]
        for r in await rt.pool.fetch(f"SELECT id FROM {schema}.budgets WHERE {visible}", *args)
    }


def period_view(r: Any, visible: set[UUID] | None) -> PeriodView:
    """The period, with the flagged lines of the budgets the reader may see."""
    flagged = [
        f
        for f in json.loads(r["flagged_lines"])
        if visible is None or UUID(f["budget_id"]) in visible
    ]
    return PeriodView.model_validate({**dict(r), "flagged_lines": flagged})


@router.get(
    "/reports/profit",
    response_model=list[ProfitRow],
    tags=["reports"],
    summary="Profit per project: revenue invoiced minus actual cost posted, per currency",
)
async def profit_report(
    actor: CurrentActor, rt: RuntimeDep, project_id: UUID | None = None
) -> list[ProfitRow]:
    schema = f'"{rt.settings.schema_name}"'
    reach = Reach.of(rt, actor)
    visible, args = reach.sql(reach.projects(), 2)
    rows = await rt.pool.fetch(
        "SELECT project_id, currency, sum(revenue) AS revenue, sum(cost) AS cost FROM ("
        "SELECT project_id, amount_currency AS currency, amount_amount AS revenue, 0 AS cost "
        f"FROM {schema}.invoices WHERE project_id IS NOT NULL "
        "UNION ALL SELECT project_id, amount_currency, 0, amount_amount "
        f"FROM {schema}.expenses WHERE state = 'posted') m "
        f"WHERE ($1::uuid IS NULL OR project_id = $1) AND {visible} "
        "GROUP BY project_id, currency ORDER BY project_id, currency",
        project_id,
        *args,
    )
    return [
        ProfitRow(
            project_id=r["project_id"],
            currency=r["currency"],
            revenue=r["revenue"].quantize(_cents(r["currency"])),
            cost=r["cost"].quantize(_cents(r["currency"])),
            profit=(r["revenue"] - r["cost"]).quantize(_cents(r["currency"])),
        )
        for r in rows
    ]


async def _report(rt: Runtime[Any, Any], reach: Reach, period: PeriodView) -> PeriodReport:
    schema = f'"{rt.settings.schema_name}"'
    explained = {
        (r["budget_id"], r["line_id"]): r
        for r in await rt.pool.fetch(
            f"SELECT * FROM {schema}.variance_explanations WHERE period_id = $1", period.id
        )
    }
    flagged = {(f.budget_id, f.line_id) for f in period.flagged_lines}
    lines = []
    for row in await _rows(rt, reach, None, None, period.last_day):
        key = (row["budget_id"], row["line_id"])
        why = explained.get(key)
        lines.append(
            ExplainedRow(
                **row,
                needs_explanation=key in flagged,
                reason=None if why is None else why["reason"],
                improvement=None if why is None else why["improvement"],
            )
        )
    return PeriodReport(period=period, threshold_percent=period.threshold_percent, lines=lines)


@router.get(
    "/periods/{period_id}/report",
    response_model=PeriodReport,
    tags=["periods"],
    summary="The period's variance per line, with finance's explanations",
)
async def period_report(
    period_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> PeriodReport:
    row = await one_of(rt, "periods", period_id, min_version, response)
    reach = Reach.of(rt, actor)
    return await _report(rt, reach, period_view(row, await _visible_budgets(rt, reach)))


@router.post(
    "/periods/{period_id}/explanations",
    response_model=Accepted,
    tags=["periods"],
    summary="Explain a line's variance in the period: reason and improvement (finance)",
)
def explain_variance(
    period_id: UUID, body: ExplainIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Period,
        period_id,
        lambda period: period.explain(
            actor, body.budget_id, body.line_id, reason=body.reason, improvement=body.improvement
        ),
    )


@router.post(
    "/periods/{period_id}/finalize",
    response_model=Accepted,
    tags=["periods"],
    summary="Make the period's report final (finance)",
    description="Refused with 422 naming `explanations` while a line the close found past the "
    "threshold is unexplained. Publishes PeriodReportFinalized.",
)
def finalize_period(period_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Period, period_id, lambda period: period.finalize(actor))
