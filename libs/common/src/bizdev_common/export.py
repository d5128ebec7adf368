"""`bizdev export`: every event topic landed in a DuckDB file an analyst can query.

One table per event type, `<service>.<event_name>_v<N>` (`finance.expense_posted_v1`), its
columns typed from the event's JSON Schema (the one committed under `contracts/`): decimal
strings as DECIMAL, days as DATE, instants as TIMESTAMPTZ, ids as UUID, nested models as
STRUCTs, lists as LISTs, free-form objects as JSON; beside them where the record was
(`kafka_partition`, `kafka_offset`) and its CloudEvents attributes (`ce_id`, `ce_time`,
`ce_sequence`, ...). Every record becomes one row: delivery is at least once, so a
re-published event is there twice with the same `ce_id` (the ready queries count each
`ce_id` once). A type no installed service models (a newer producer) gets a table of its
own with its data as JSON; a record that cannot be read (not CloudEvents, a body its schema
refuses) a row in `export_state.unreadable`, so that no record stops the export.

Incremental and exactly once: the next offset of each topic's partition is stored in
`export_state.positions` in the transaction that adds the rows, and the next export starts
there. It reads up to the end each partition had when it started, so it ends. Only the
services' event topics (`bizdev.<service>.events.v<N>`) are read: dead letters are a copy of
what is there already, for operators. Personal data never reaches the topics (crm keeps it),
so none reaches the file.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bizdev_common.envelope import Envelope

if TYPE_CHECKING:
    import duckdb
    from aiokafka import ConsumerRecord

EVENT_TOPIC = re.compile(r"bizdev\.[a-z][a-z0-9_]*\.events\.v[0-9]+")
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
"""What a decimal (money's amount, a weight) is on the wire: MoneyModel's and
boundary's pattern."""
SCALE = 18
DECIMAL = f"DECIMAL(38, {SCALE})"
"""Room for any decimal an event carries: |d| < 10^18 with at most 18 places (boundary.py)."""
DECIMAL_LIMIT = Decimal(10) ** (38 - SCALE)
STATE = "export_state"

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decimal(value: Any) -> Decimal:
    """A decimal the DECIMAL column holds, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a decimal: {value!r}")
    if isinstance(value, str) and not re.fullmatch(DECIMAL_PATTERN, value):
        raise ValueError(f"not a plain decimal: {value[:40]!r}")
    number = Decimal(value)
    exponent = number.as_tuple().exponent
    if abs(number) >= DECIMAL_LIMIT or (isinstance(exponent, int) and exponent < -SCALE):
        raise ValueError(f"beyond {DECIMAL}: {value!r}")
    return number


@dataclass(frozen=True)
class Type:
    """A DuckDB column type and how a JSON value becomes the Python value DuckDB stores as it
    (None stays None)."""

    sql: str
    convert: Convert = _same

    def __call__(self, value: Any) -> Any:
        return None if value is None else self.convert(value)


JSON = Type("JSON", _json)
SCALARS = {
    "integer": Type("BIGINT"),
    "boolean": Type("BOOLEAN"),
    "number": Type("DOUBLE"),
}
FORMATS = {
    "uuid": Type("UUID", UUID),
    "date-time": Type("TIMESTAMPTZ", datetime.fromisoformat),
    "date": Type("DATE", date.fromisoformat),
}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_type(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Type:
    """The column type of a JSON Schema (its references resolved against `root`)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return column_type(root["$defs"][ref.removeprefix("#/$defs/")], root)
    if "anyOf" in schema:
        kinds = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return column_type(kinds[0], root) if len(kinds) == 1 else JSON
    if "enum" in schema or "const" in schema:
        return Type("VARCHAR")
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        return (
            Type(DECIMAL, _decimal) if schema.get("pattern") == DECIMAL_PATTERN else Type("VARCHAR")
        )
    if isinstance(kind, str) and kind in SCALARS:
        return SCALARS[kind]
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        item = column_type(schema["items"], root)
        return Type(f"{item.sql}[]", lambda values: [item(v) for v in values])
    if kind == "object" and schema.get("properties"):
        fields = {name: column_type(s, root) for name, s in schema["properties"].items()}
        sql = ", ".join(f"{quoted(name)} {t.sql}" for name, t in fields.items())
        return Type(
            f"STRUCT({sql})",
            lambda value: {name: t(value.get(name)) for name, t in fields.items()},
        )
    return JSON


ENVELOPE: dict[str, Type] = {
    "kafka_partition": Type("INTEGER"),
    "kafka_offset": Type("BIGINT"),
    "ce_id": Type("VARCHAR"),
    "ce_time": Type("TIMESTAMPTZ"),
    "ce_sequence": Type("UBIGINT"),
    "ce_subject": Type("VARCHAR"),
    "ce_correlationid": Type("VARCHAR"),
    "ce_causationid": Type("VARCHAR"),
}
"""Where the record was and its CloudEvents attributes, first in every table."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def table_name(ce_type: str) -> tuple[str, str]:
    """`bizdev.finance.ExpensePosted.v1` -> (`finance`, `expense_posted_v1`)."""
    _, service, event, version = ce_type.split(".")
    return service, f"{snake(event)}_{version}"


@dataclass(frozen=True)
class EventTable:
    ce_type: str
    schema: str
    name: str
    columns: dict[str, Type]
    """The envelope's, then the event's fields."""

    @classmethod
    def of(cls, ce_type: str, event_schema: Mapping[str, Any] | None) -> EventTable:
        """The table of a type with a JSON Schema, or (None) of one nobody here models: its
        data as JSON."""
        schema, name = table_name(ce_type)
        if event_schema is None:
            fields = {"data": JSON}
        else:
            properties = event_schema.get("properties", {})
            fields = {k: column_type(v, event_schema) for k, v in properties.items()}
        return cls(ce_type, schema, name, {**ENVELOPE, **fields})

    @property
    def qualified(self) -> str:
        return f"{quoted(self.schema)}.{quoted(self.name)}"

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{quoted(c)} {t.sql}" for c, t in self.columns.items())
        return [
            f"CREATE SCHEMA IF NOT EXISTS {quoted(self.schema)}",
            f"CREATE TABLE IF NOT EXISTS {self.qualified} ({columns})",
        ]

    @property
    def raw(self) -> bool:
        """Whether it is the table of a type nobody here models: the body in `data`."""
        return set(self.columns) - set(ENVELOPE) == {"data"}

    def line(self, partition: int, offset: int, envelope: Envelope, data: Any) -> str:
        """The record as a JSON line for DuckDB to read into the table, once each field has
        passed its column's conversion: a value a column cannot hold is refused here, as
        this record's, not by DuckDB in the middle of a batch."""
        fields = {"data": data} if self.raw else data
        if not isinstance(fields, dict):
            raise ValueError("the body is not a JSON object")
        own = {c: fields.get(c) for c in self.columns if c not in ENVELOPE}
        for column, value in own.items():
            self.columns[column](value)
        return json.dumps(
            {
                "kafka_partition": partition,
                "kafka_offset": offset,
                "ce_id": envelope.id,
                "ce_time": envelope.time.isoformat(),
                "ce_sequence": envelope.sequence,
                "ce_subject": envelope.subject,
                "ce_correlationid": envelope.correlation_id,
                "ce_causationid": envelope.causation_id,
                **own,
            },
            ensure_ascii=False,
        )

    def read_json(self, path: str) -> str:
        """The INSERT of a file of its lines, each column cast to its type by DuckDB."""
        columns = ", ".join(f"{_literal(c)}: {_literal(t.sql)}" for c, t in self.columns.items())
        return (
            f"INSERT INTO {self.qualified} BY NAME SELECT * FROM read_json({_literal(path)}, "
            f"format = 'newline_delimited', columns = {{{columns}}})"
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


STATE_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {STATE}",
    f"CREATE TABLE IF NOT EXISTS {STATE}.positions (topic VARCHAR, kafka_partition INTEGER, "
    "next_offset BIGINT NOT NULL, PRIMARY KEY (topic, kafka_partition))",
    f"CREATE TABLE IF NOT EXISTS {STATE}.unreadable (topic VARCHAR, kafka_partition INTEGER, "
    "kafka_offset BIGINT, ce_type VARCHAR, error VARCHAR, value VARCHAR)",
]


class Lander:
    """Writes records into the DuckDB file, one transaction per batch with its positions."""

    def __init__(self, db: duckdb.DuckDBPyConnection, schemas: Mapping[str, Mapping[str, Any]]):
        self.db = db
        self.tables = {t: EventTable.of(t, s) for t, s in schemas.items()}
        """Every modelled type has its table, records or not: the ready queries read them."""
        self.db.begin()
        for statement in STATE_DDL:
            self.db.execute(statement)
        for table in self.tables.values():
            self._create(table)
        self.db.commit()

    def _create(self, table: EventTable) -> None:
        for statement in table.ddl():
            self.db.execute(statement)
        # An optional field added to a type since the last export (no new version): its
        # column is added, empty for the rows before.
        present = {
            name
            for (name,) in self.db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [table.schema, table.name],
            ).fetchall()
        }
        for column, kind in table.columns.items():
            if column not in present:
                self.db.execute(
                    f"ALTER TABLE {table.qualified} ADD COLUMN {quoted(column)} {kind.sql}"
                )

    def positions(self) -> dict[tuple[str, int], int]:
        rows = self.db.execute(
            f"SELECT topic, kafka_partition, next_offset FROM {STATE}.positions"
        ).fetchall()
        return {(topic, partition): offset for topic, partition, offset in rows}

    def land(self, records: Sequence[ConsumerRecord]) -> Counter[str]:
        """The records' rows and their partitions' next offsets, in one transaction; how many
        rows went to each table (`export_state.unreadable` for the unreadable)."""
        lines: dict[str, list[str]] = defaultdict(list)
        unreadable: list[list[Any]] = []
        after: dict[tuple[str, int], int] = {}
        for record in records:
            key = (record.topic, record.partition)
            after[key] = max(after.get(key, 0), record.offset + 1)
            ce_type = None
            try:
                envelope = Envelope.from_headers(record.headers or ())
                ce_type = envelope.type
                table = self.tables.get(ce_type)
                if table is None:
                    table = self.tables[ce_type] = EventTable.of(ce_type, None)
                data = json.loads(record.value) if record.value is not None else None
                line = table.line(record.partition, record.offset, envelope, data)
                lines[ce_type].append(line)
            except (KeyError, ValueError, TypeError, UnicodeDecodeError, ArithmeticError) as e:
                value = record.value.decode(errors="replace") if record.value else None
                unreadable.append(
                    [record.topic, record.partition, record.offset, ce_type, repr(e)[:1000], value]
                )
        counts: Counter[str] = Counter()
        self.db.begin()
        # Through files DuckDB reads itself: inserting row by row from Python took seconds
        # per thousand rows, reading a file of them a tenth of a second.
        with tempfile.TemporaryDirectory(prefix="bizdev-export-") as folder:
            try:
                for ce_type, table_lines in lines.items():
                    table = self.tables[ce_type]
                    self._create(table)
                    path = Path(folder) / f"{table.schema}.{table.name}.ndjson"
                    path.write_text("\n".join(table_lines) + "\n", encoding="utf-8")
                    # By name: a column added later is the table's last, wherever its field.
                    self.db.execute(table.read_json(str(path)))
                    counts[f"{table.schema}.{table.name}"] += len(table_lines)
                if unreadable:
                    self.db.executemany(
                        f"INSERT INTO {STATE}.unreadable VALUES (?, ?, ?, ?, ?, ?)", unreadable
                    )
                    counts[f"{STATE}.unreadable"] += len(unreadable)
                self.db.executemany(
                    f"INSERT INTO {STATE}.positions VALUES (?, ?, ?) ON CONFLICT DO UPDATE "
                    "SET next_offset = EXCLUDED.next_offset",
                    [[topic, partition, offset] for (topic, partition), offset in after.items()],
                )
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        return counts


async def export(
    bootstrap: str,
    lander: Lander,
    batch_size: int = 5000,
) -> Counter[str]:
    """Lands every event topic from where the last export stopped up to where it ends now;
    the rows added per table."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=8 << 20
    )
    added: Counter[str] = Counter()
    try:
        await consumer.start()
        # The whole cluster's metadata: `consumer.topics()` lists the topics without telling
        # the consumer their partitions.
        cluster = await consumer._client.fetch_all_metadata()
        topics = sorted(t for t in cluster.topics() if EVENT_TOPIC.fullmatch(t))
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(cluster.partitions_for_topic(t) or ())
        ]
        if not tps:
            return added
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        stored = lander.positions()
        for tp in tps:
            consumer.seek(tp, max(stored.get((tp.topic, tp.partition), 0), starts[tp]))
        pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=batch_size)
            records = [r for tp, rs in batch.items() for r in rs if r.offset < ends[tp]]
            if records:
                added += lander.land(records)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return added


# --- the ready queries -----------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    sql: str


def queries() -> list[Query]:
    """The ready queries (`bizdev_common/queries/*.sql`), each titled by its first comment
    line."""
    found = []
    for path in sorted(files("bizdev_common").joinpath("queries").iterdir(), key=str):
        if path.name.endswith(".sql"):
            sql = path.read_text(encoding="utf-8")
            title = sql.splitlines()[0].removeprefix("--").strip()
            found.append(Query(path.name.removesuffix(".sql"), title, sql))
    return found


def answer(db: duckdb.DuckDBPyConnection, query: Query) -> tuple[list[str], list[tuple[Any, ...]]]:
    result = db.execute(query.sql)
    return [d[0] for d in result.description or ()], result.fetchall()


def schemas_of(contracts: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Every event type's JSON Schema, of every version still on the topics, by `ce_type`."""
    from bizdev_common.asyncapi import event_schema

    return {c.ce_type(m): event_schema(c, m) for c in contracts for m in c.models}
