"""`bizdev export` without servers: columns typed from the events' JSON Schemas, records
landed into a DuckDB file (an embedded database, no server) with their positions in the same
transaction, and the ready queries answering on the tables every modelled type gets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiokafka import ConsumerRecord
from bizdev_common import catalog, export
from bizdev_common.asyncapi import event_schema
from bizdev_common.consuming import record_of
from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from bizdev_common.envelope import Envelope
from pydantic import Field

ROOT = Path(__file__).resolve().parents[3]
TOPIC = "bizdev.finance.events.v1"


class Line(PublicEvent):
    category: str
    amount: MoneyModel


class Booked(PublicEvent):
    """Every shape an event field takes."""

    project_id: uuid.UUID
    amount: MoneyModel
    weight: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$")
    spent_on: date
    paid_on: date | None = None
    at: datetime
    count: int
    urgent: bool
    status: str = Field(json_schema_extra={"enum": ["open", "closed"]})
    lines: list[Line]
    tags: list[str]
    extra: dict[str, int]


CONTRACT = EventContract("finance", {Booked: Booked, Line: Line})


def test_each_json_schema_shape_becomes_its_duckdb_type() -> None:
    table = export.EventTable.of("bizdev.finance.Booked.v1", event_schema(CONTRACT, Booked))
    types = {name: t.sql for name, t in table.columns.items()}
    money = f'STRUCT("amount" {export.DECIMAL}, "currency" VARCHAR)'
    assert types == {
        **{name: t.sql for name, t in export.ENVELOPE.items()},
        "aggregate_id": "UUID",
        "version": "BIGINT",
        "occurred_at": "TIMESTAMPTZ",
        "by": "VARCHAR",
        "project_id": "UUID",
        "amount": money,
        "weight": export.DECIMAL,
        "spent_on": "DATE",
        "paid_on": "DATE",
        "at": "TIMESTAMPTZ",
        "count": "BIGINT",
        "urgent": "BOOLEAN",
        "status": "VARCHAR",
        "lines": f'STRUCT("aggregate_id" UUID, "version" BIGINT, "occurred_at" TIMESTAMPTZ, '
        f'"by" VARCHAR, "category" VARCHAR, "amount" {money})[]',
        "tags": "VARCHAR[]",
        "extra": "JSON",
    }
    assert (table.schema, table.name) == ("finance", "booked_v1")
    assert export.table_name("bizdev.risk.KRIThresholdBreached.v2") == (
        "risk",
        "kri_threshold_breached_v2",
    )


def record(offset: int, ce_type: str, value: bytes, partition: int = 0) -> ConsumerRecord:
    subject = str(uuid.uuid4())
    envelope = Envelope(
        f"{subject}/1", "/bizdev/finance", ce_type, datetime(2026, 3, 1, tzinfo=UTC), subject,
        1000 + offset,
    )  # fmt: skip
    return record_of(TOPIC, partition, offset, subject.encode(), value, envelope.headers({}))


def booked(**changes: Any) -> bytes:
    event = Booked(
        aggregate_id=uuid.uuid4(), version=1, occurred_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        project_id=uuid.uuid4(), amount=MoneyModel(amount="1250000.25", currency="CNY"),
        weight="0.125", spent_on=date(2026, 2, 27), at=datetime(2026, 3, 1, 10, tzinfo=UTC),
        count=3, urgent=True, status="open", tags=["a", "b"], extra={"x": 1},
        lines=[
            Line(aggregate_id=uuid.uuid4(), version=1, occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
                 category="marketing", amount=MoneyModel(amount="10.50", currency="CNY"))
        ],
    )  # fmt: skip
    return json.dumps({**json.loads(event.model_dump_json()), **changes}).encode()


@pytest.fixture
def lander() -> export.Lander:
    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    return export.Lander(db, export.schemas_of([CONTRACT]))


def test_a_landed_record_reads_back_typed(lander: export.Lander) -> None:
    ce_type = "bizdev.finance.Booked.v1"
    added = lander.land(
        [record(0, ce_type, booked()), record(1, ce_type, booked(paid_on="2026-03-02"))]
    )
    assert added == {"finance.booked_v1": 2}
    row = lander.db.execute(
        'SELECT amount.amount, amount.currency, weight, spent_on, paid_on, "at", '
        "lines[1].amount.amount, tags, extra, ce_sequence, kafka_offset "
        "FROM finance.booked_v1 ORDER BY kafka_offset"
    ).fetchall()
    assert row[0][:6] == (
        Decimal("1250000.25"), "CNY", Decimal("0.125"), date(2026, 2, 27), None,
        datetime(2026, 3, 1, 10, tzinfo=UTC),
    )  # fmt: skip
    assert row[0][6:8] == (Decimal("10.50"), ["a", "b"])
    assert json.loads(row[0][8]) == {"x": 1}
    assert row[0][9:] == (1000, 0)
    assert row[1][4] == date(2026, 3, 2)
    assert lander.positions() == {(TOPIC, 0): 2}


def test_no_record_stops_the_export_and_each_is_one_row_somewhere(lander: export.Lander) -> None:
    records = [
        record(5, "bizdev.finance.Booked.v1", b"{not json"),
        record(6, "bizdev.finance.Booked.v1", booked(spent_on="the 3rd")),
        record(7, "bizdev.finance.Newer.v2", b'{"aggregate_id": "x", "n": 1}'),
        record(8, "bizdev.finance.Booked.v1", booked(weight="1" + "0" * 30)),
        record_of(TOPIC, 1, 9, None, b"{}", [("ce_type", b"nothing else")]),
    ]
    added = lander.land(records)
    assert added == {"export_state.unreadable": 4, "finance.newer_v2": 1}
    (data,) = lander.db.execute("SELECT data FROM finance.newer_v2").fetchone() or ()
    assert json.loads(data) == {"aggregate_id": "x", "n": 1}
    assert lander.positions() == {(TOPIC, 0): 9, (TOPIC, 1): 10}


def test_rows_and_positions_commit_together_or_not_at_all() -> None:
    db = duckdb.connect(":memory:")
    # A table whose column a field's values do not fit (its type changed without a new
    # version): DuckDB refuses the batch after it wrote the other table's rows.
    db.execute("CREATE SCHEMA finance")
    db.execute("CREATE TABLE finance.line_v1 (category UUID)")
    lander = export.Lander(db, export.schemas_of([CONTRACT]))
    line = Line(
        aggregate_id=uuid.uuid4(), version=1, occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        category="marketing", amount=MoneyModel(amount="1", currency="CNY"),
    )  # fmt: skip
    with pytest.raises(duckdb.Error):
        lander.land([
            record(0, "bizdev.finance.Booked.v1", booked()),
            record(1, "bizdev.finance.Line.v1", line.model_dump_json().encode()),
        ])  # fmt: skip
    assert db.execute("SELECT count(*) FROM finance.booked_v1").fetchone() == (0,)
    assert lander.positions() == {}


def test_a_field_added_since_the_last_export_gets_its_column(tmp_path: Path) -> None:
    path = str(tmp_path / "a.duckdb")
    narrow = {"bizdev.finance.Booked.v1": {"properties": {"count": {"type": "integer"}}}}
    export.Lander(duckdb.connect(path), narrow).db.close()
    lander = export.Lander(duckdb.connect(path), export.schemas_of([CONTRACT]))
    lander.land([record(0, "bizdev.finance.Booked.v1", booked())])
    assert lander.db.execute("SELECT count, urgent FROM finance.booked_v1").fetchall() == [
        (3, True)
    ]


def test_every_ready_query_answers_on_the_tables_of_every_modelled_type() -> None:
    contracts = [catalog.load(name).contract for name in catalog.service_names(ROOT)]
    db = duckdb.connect(":memory:")
    lander = export.Lander(db, export.schemas_of(contracts))
    names = {q.name for q in export.queries()}
    assert names == {"lead_funnel", "complaint_response", "budget_variance", "kri_alerts_by_month"}
    for query in export.queries():
        columns, rows = export.answer(lander.db, query)
        assert columns, query.name
        assert rows == [], query.name
    tables = {f"{s}.{t}" for s, t in db.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
    ).fetchall()}  # fmt: skip
    modelled = {".".join(export.table_name(c.ce_type(m))) for c in contracts for m in c.models}
    assert modelled <= tables
