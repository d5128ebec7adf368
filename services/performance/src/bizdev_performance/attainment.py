"""Attainment, read from targets and the facts together, so it is as current as the facts
(REGULATIONS 8.3). A target's actual is, over the facts of its indicator's measure dated in
its period:

- contract_value, revenue, profit: the sum in the indicator's unit (a currency; amounts in
  other currencies are not converted and do not count);
- satisfaction: the mean of the customers' 1-5 ratings;
- market_share: the share the market department entered for the subject and period.

Whose facts: a person's are those credited to them (the salesperson, the visitor, the
complaint's owner); a team's (a project's team, id = the project's id) those of its project,
and for satisfaction those of its active members; a department's those it keeps, or of its
projects, or of its people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from bizdev_common.readmodel import Condition

from bizdev_performance.domain.scoring import attainment
from bizdev_performance.domain.values import Direction, Measure

_ACTUAL = """
SELECT t.id AS target_id, t.version, t.indicator_id, t.subject_kind, t.subject,
       t.subject_department, t.period, t.first_day, t.last_day, t.value AS target,
       i.name AS indicator, i.measure, i.unit, i.direction, a.total, a.mean, a.facts, m.percent
FROM {s}.targets t
JOIN {s}.indicators i ON i.id = t.indicator_id
LEFT JOIN {s}.market_shares m
  ON i.measure = 'market_share' AND m.subject_kind = t.subject_kind AND m.subject = t.subject
  AND m.period = t.period
LEFT JOIN LATERAL (
  SELECT sum(f.amount) AS total, avg(f.amount) AS mean, count(*) AS facts
  FROM {s}.facts f
  LEFT JOIN {s}.projects p ON p.id = f.project_id
  LEFT JOIN {s}.people pe ON pe.user_id = f.person
  WHERE i.measure <> 'market_share' AND f.measure = i.measure
    AND f.day BETWEEN t.first_day AND t.last_day
    AND (i.measure = 'satisfaction' OR f.currency = i.unit)
    AND CASE t.subject_kind
      WHEN 'person' THEN f.person = t.subject
      WHEN 'team' THEN f.project_id::text = t.subject OR (
        i.measure = 'satisfaction' AND f.person IN (
          SELECT tm.member FROM {s}.team_members tm
          WHERE tm.project_id::text = t.subject AND tm.active))
      ELSE coalesce(f.department, p.department, pe.department) = t.subject
    END
) a ON true
"""


@dataclass(frozen=True)
class Attained:
    target_id: UUID
    version: int
    indicator_id: UUID
    indicator: str
    measure: Measure
    unit: str
    direction: Direction
    subject_kind: str
    subject: str
    subject_department: str | None
    period: str
    first_day: date
    last_day: date
    target: Decimal
    actual: Decimal | None
    facts: int
    attainment: Decimal | None


def _of(row: asyncpg.Record) -> Attained:
    measure = Measure(row["measure"])
    if measure is Measure.MARKET_SHARE:
        actual, facts = row["percent"], 0 if row["percent"] is None else 1
    elif measure is Measure.SATISFACTION:
        actual, facts = row["mean"], row["facts"]
    else:
        # No fact in the period: nothing was sold, which is an actual of zero.
        actual, facts = row["total"] if row["total"] is not None else Decimal(0), row["facts"]
    direction = Direction(row["direction"])
    return Attained(
        target_id=row["target_id"],
        version=row["version"],
        indicator_id=row["indicator_id"],
        indicator=row["indicator"],
        measure=measure,
        unit=row["unit"],
        direction=direction,
        subject_kind=row["subject_kind"],
        subject=row["subject"],
        subject_department=row["subject_department"],
        period=row["period"],
        first_day=row["first_day"],
        last_day=row["last_day"],
        target=row["target"],
        actual=actual,
        facts=int(facts or 0),
        attainment=attainment(actual, row["target"], direction),
    )


async def attained(
    conn: asyncpg.Pool | asyncpg.Connection,
    schema: str,
    where: dict[str, Any],
    *,
    subjects: Sequence[str] | None = None,
    indicators: Sequence[UUID] | None = None,
    restrict: Condition | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Attained]:
    """Targets matching `where` (column = value) with their actual and attainment;
    `restrict` adds a condition on `t`."""
    clauses, args = [], []
    for column, value in where.items():
        if value is not None:
            args.append(value)
            clauses.append(f"t.{column} = ${len(args)}")
    if subjects is not None:
        args.append(list(subjects))
        clauses.append(f"t.subject = ANY(${len(args)}::text[])")
    if indicators is not None:
        args.append(list(indicators))
        clauses.append(f"t.indicator_id = ANY(${len(args)}::uuid[])")
    if restrict is not None:
        clauses.append(restrict.render(args))
    cond = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = await conn.fetch(
        _ACTUAL.format(s=f'"{schema}"')
        + f" {cond} ORDER BY t.period, t.subject_kind, t.subject, i.name, t.id"
        f" LIMIT {int(limit)} OFFSET {int(offset)}",
        *args,
    )
    return [_of(r) for r in rows]
