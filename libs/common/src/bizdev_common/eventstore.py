"""Event store: the eventsourcing library's PostgreSQL persistence, one schema per service.

The library is synchronous; services call it from a threadpool, whose threads share a
connection pool that opens one connection and grows on demand to the process role's size
(settings.event_store_connections). Its notification log doubles as the outbox (relay.py).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
    Transcoder,
    Transcoding,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import Environment, EnvType, resolve_topic, retry, strtobool
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from psycopg import sql

from bizdev_common import context
from bizdev_common.domain import DomainError, Money, NotFound
from bizdev_common.settings import ServiceSettings

A = TypeVar("A", bound=Aggregate)
tracer = trace.get_tracer(__name__)


class VersionConflict(DomainError):
    """The record changed since the caller read it (409): reload and try again."""


class IdempotencyKeyTaken(Exception):
    """A request with the same Idempotency-Key, running at the same time, saved first; this
    one's save was rolled back. The HTTP layer answers with the first one's result."""


IDEMPOTENCY_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
    user_id text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    request text NOT NULL,
    aggregate_id uuid NOT NULL,
    version int NOT NULL,
    status smallint NOT NULL,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key)
)
"""
IDEMPOTENCY_INDEX = (
    "CREATE INDEX IF NOT EXISTS idempotency_keys_created_at "
    "ON {schema}.idempotency_keys (created_at)"
)
_IDEMPOTENCY_KWARG = "idempotency"


@dataclass(frozen=True)
class _IdempotencyRecord:
    command: context.IdempotentCommand
    aggregate_id: UUID
    version: int

    def params(self) -> tuple[Any, ...]:
        c = self.command
        return (
            c.user_id,
            c.key,
            c.fingerprint,
            c.request,
            self.aggregate_id,
            self.version,
            c.status,
        )


_NO_IDEMPOTENCY_KEY = (None,) * 7
_NO_TRACKING = (None, None)

# One call appends a command's events. The library's save waits on four round trips (BEGIN;
# the lock, notification and insert; COMMIT; its pipeline's end) and holds the events table's
# lock while the client turns from the insert's answer to the COMMIT: under load, every writer
# waits on that turn. Here the server commits before it answers.
# Written in the order the library's process recorder writes, with the Idempotency-Key first:
# a concurrent twin waits on its key before it takes the events table's lock, and fails once
# the first one commits. Notification ids are the log's last plus one, two, ... taken under
# the lock: a rolled-back append (a version conflict, an invoice number taken twice) gives
# its ids back, so the log has no holes, which the sequence (nextval is never rolled back)
# would leave. The sequence is kept past them for a process still on the library's insert
# (during a rolling deploy), whose ids it draws and which would otherwise collide with ours;
# and a position drawn from the sequence (that process's, or one reserved by hand to stamp a
# record put on a topic) is never given again. The sequence is set only once the insert
# succeeded, so an append that fails leaves it where it was.
# What a call costs is the server's time and the client's dumping of its parameters, so: the
# events come as one array per column (arrays of plain types, dumped in binary by psycopg's C
# code; an array of the library's composite type is dumped as text, field by field, in
# Python), the sequence is named, not looked up by pg_get_serial_sequence on each call, the
# lock timeout is the function's own setting rather than a SET LOCAL statement, and the
# answer is the last id given (the ids are consecutive) rather than a set of rows.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
    originator_ids {originator_id_type}[],
    originator_versions bigint[],
    topics text[],
    states bytea[],
    tracking_application_name text,
    tracking_notification_id bigint,
    key_user_id text,
    key_value text,
    key_fingerprint text,
    key_request text,
    key_aggregate_id uuid,
    key_version int,
    key_status smallint
) RETURNS bigint LANGUAGE plpgsql SET lock_timeout = '{lock_timeout}s' AS $BODY$
DECLARE
    n int := cardinality(originator_ids);
    last_id bigint;
BEGIN
    IF key_value IS NOT NULL THEN
        INSERT INTO {schema}.idempotency_keys
            (user_id, key, fingerprint, request, aggregate_id, version, status)
        VALUES
            (key_user_id, key_value, key_fingerprint, key_request, key_aggregate_id, key_version,
             key_status);
    END IF;
    IF tracking_application_name IS NOT NULL THEN
        INSERT INTO {schema}.{tracking} AS t (application_name, notification_id)
        VALUES (tracking_application_name, tracking_notification_id)
        ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id
        WHERE t.notification_id < excluded.notification_id;
        IF NOT FOUND THEN
            RAISE unique_violation USING MESSAGE = 'Failed to record tracking for '
                || tracking_application_name || ' ' || tracking_notification_id;
        END IF;
    END IF;
    IF n > 0 THEN
        LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
        SELECT greatest(max(notification_id), pg_sequence_last_value({sequence}::regclass), 0)
        INTO last_id FROM {schema}.{table};
        INSERT INTO {schema}.{table}
            (originator_id, originator_version, topic, state, notification_id)
        SELECT e.originator_id, e.originator_version, e.topic, e.state, last_id + e.n
        FROM unnest(originator_ids, originator_versions, topics, states) WITH ORDINALITY
            AS e(originator_id, originator_version, topic, state, n);
        PERFORM setval({sequence}::regclass, last_id + n);
        NOTIFY {channel};
        RETURN last_id + n;
    END IF;
    RETURN NULL;
END
$BODY$
"""


class ServiceRecorder(PostgresProcessRecorder):
    """The library's process recorder, appending in one call to a database function: a
    command's events, the position of the upstream event a reaction handled, and a command's
    Idempotency-Key, in one transaction: the key exists if and only if the command happened.
    What it stores, and how it is read, is the library's."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        if not datastore.single_row_tracking:
            raise ProgrammingError("ServiceRecorder keeps one tracking row per upstream")
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        schema = sql.Identifier(datastore.schema)
        function_name = f"{events_table_name}_append"
        # PostgreSQL's name for the sequence of the library's bigserial column; a longer one
        # it would cut short, and the function would name a sequence that is not there.
        sequence_name = f"{events_table_name}_notification_id_seq"
        self.check_identifier_length(function_name)
        self.check_identifier_length(sequence_name)
        function = sql.Identifier(function_name)
        self.sql_create_statements.append(sql.SQL(IDEMPOTENCY_DDL).format(schema=schema))
        self.sql_create_statements.append(sql.SQL(IDEMPOTENCY_INDEX).format(schema=schema))
        self.sql_create_statements.append(
            sql.SQL(APPEND_FUNCTION).format(
                schema=schema,
                function=function,
                originator_id_type=sql.Identifier(datastore.originator_id_type),
                table=sql.Identifier(events_table_name),
                sequence=sql.Literal(sql.Identifier(datastore.schema, sequence_name).as_string()),
                tracking=sql.Identifier(tracking_table_name),
                lock_timeout=sql.SQL(str(int(datastore.lock_timeout))),
                channel=sql.Identifier(self.channel_name),
            )
        )
        # Rendered once: psycopg caches its parsing of a query by the query's text, whereas a
        # composed one it renders again on every call. The events' columns go in binary (%b).
        # Most commands save one event: its four values are sent as they are and made arrays
        # by the server, since psycopg picks a dumper for each list in Python on every call.
        call = (
            "SELECT {schema}.{function}({events}, %s::text, %s::bigint, "
            "%s::text, %s::text, %s::text, %s::text, %s::uuid, %s::int, %s::smallint) AS last_id"
        )
        self.append_statements = {
            many: sql.SQL(call)
            .format(
                schema=schema,
                function=function,
                events=sql.SQL(
                    "%b::{id}[], %b::bigint[], %b::text[], %b::bytea[]"
                    if many
                    else "ARRAY[%b::{id}], ARRAY[%b::bigint], ARRAY[%b::text], ARRAY[%b::bytea]"
                ).format(id=sql.Identifier(datastore.originator_id_type)),
            )
            .as_string()
            for many in (False, True)
        }

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        record: _IdempotencyRecord | None = kwargs.get(_IDEMPOTENCY_KWARG)
        many = len(stored_events) != 1
        columns = (
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            )
            if many
            else (
                stored_events[0].originator_id,
                stored_events[0].originator_version,
                stored_events[0].topic,
                stored_events[0].state,
            )
        )
        params = (
            *columns,
            *(
                _NO_TRACKING
                if tracking is None
                else (tracking.application_name, tracking.notification_id)
            ),
            *(_NO_IDEMPOTENCY_KEY if record is None else record.params()),
        )
        # Autocommit: the call is its own transaction, committed before it answers.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.append_statements[many], params, prepare=True)
            row = curs.fetchone()
        last_id = None if row is None else row["last_id"]
        if last_id is None:
            return []
        return list(range(last_id - len(stored_events) + 1, last_id + 1))


def _is_idempotency_key_conflict(e: IntegrityError) -> bool:
    cause = e.__cause__
    return (
        isinstance(cause, psycopg.errors.UniqueViolation)
        and cause.diag.constraint_name == "idempotency_keys_pkey"
    )


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, str]:
        return obj.as_dict()

    def decode(self, data: dict[str, str]) -> Money:
        return Money(Decimal(data["amount"]), data["currency"])


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


META_KEY = "_meta"


class MetaTranscoder(JSONTranscoder):
    """Adds the command's correlation, causation and trace context to every stored event.

    It travels inside the stored state, so it is committed in the same transaction as the
    event and the relay finds it there; aggregates never see it."""

    def encode(self, obj: Any) -> bytes:
        if isinstance(obj, dict) and "timestamp" in obj:
            obj = {**obj, META_KEY: context.event_meta()}
        return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        obj = super().decode(data)
        if isinstance(obj, dict):
            obj.pop(META_KEY, None)
        return obj


@dataclass(frozen=True)
class CommandResult:
    """What a command returns: the record, its new version and the log position reached."""

    id: UUID
    version: int
    position: int | None


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    event: str
    at: datetime
    by: str | None
    data: dict[str, Any]


# What in the eventsourcing library's configuration would change how events are stored or
# encoded: the relay reads the notification log as JSON in order, and the projectors and
# reactions rely on that. With database functions on, inserts skip the table lock and a
# notification id can commit after a higher one, which the relay would skip for good.
_UNSAFE_LIBRARY_SETTINGS = (
    "PERSISTENCE_MODULE",
    "INFRASTRUCTURE_FACTORY",
    "FACTORY_TOPIC",
    "APPLICATION_RECORDER_TOPIC",
    "PROCESS_RECORDER_TOPIC",
    "TRACKING_RECORDER_TOPIC",
    "MAPPER_TOPIC",
    "TRANSCODER_TOPIC",
    "CIPHER_TOPIC",
    "CIPHER_KEY",
    "COMPRESSOR_TOPIC",
    "POSTGRES_ENABLE_DB_FUNCTIONS",
)


class UnsafeEnvironment(RuntimeError):
    """An environment variable asks the eventsourcing library for what the service forbids."""


def check_library_environment(app_name: str, environ: Mapping[str, str]) -> None:
    """Refuses variables the library would read, under its own name or prefixed with the
    application's (`PROJECTS_CIPHER_KEY` as well as `CIPHER_KEY`), that would store events
    the relay cannot read or skip. The service ignores them (it configures the library
    itself), so it refuses to start rather than let someone believe they took effect."""
    found = []
    for setting in _UNSAFE_LIBRARY_SETTINGS:
        for variable in Environment(app_name).create_keys(setting):
            value = environ.get(variable)
            if not value:
                continue  # unset or empty: the library reads that as off
            if setting == "POSTGRES_ENABLE_DB_FUNCTIONS":
                try:
                    if not strtobool(value):
                        continue
                except ValueError:
                    pass
            found.append(variable)
    if found:
        raise UnsafeEnvironment(
            f"refusing to start: {', '.join(found)} set. These eventsourcing settings would "
            "turn on database functions or change how events are stored (cipher, compressor, "
            "transcoder, recorder or persistence module), which the outbox relay cannot read "
            "or would skip events with; unset them."
        )


def schema_lock(schema: str) -> int:
    """The advisory lock under which a service's processes create its tables, one at a time."""
    return zlib.crc32(f"bizdev-schema:{schema}".encode())


def ensure_schema(settings: ServiceSettings) -> None:
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema_lock(settings.schema_name),))
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(settings.schema_name))
        )


class ServiceApplication(Application[UUID]):
    """Base of each service's application (its command handlers)."""

    def __init__(self, settings: ServiceSettings) -> None:
        check_library_environment(type(self).name, os.environ)
        self.settings = settings
        self.open_store(settings)
        # One span per save, not one per statement: a command's trace shows its write (the
        # lock, the events, the notification, the Idempotency-Key, in one transaction)
        # without paying for a span around each of its statements.
        self._save_span = f"INSERT {settings.schema_name}.stored_events"

    def open_store(self, settings: ServiceSettings) -> None:
        """Starts the library's application on the service's schema of PostgreSQL; a test
        seam starts it on the library's in-memory recorders instead (bizdev_common.seam)."""
        db = settings.db
        ensure_schema(settings)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": db["dbname"],
            "POSTGRES_HOST": db["host"],
            "POSTGRES_PORT": db["port"],
            "POSTGRES_USER": db["user"],
            "POSTGRES_PASSWORD": db["password"],
            "POSTGRES_SCHEMA": settings.schema_name,
            # One connection at start, more only while the threads need them.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": str(settings.event_store_connections - 1),
            # After a database restart every pooled connection is dead: checked when taken,
            # a dead one is replaced there, rather than failing the command that drew it.
            "POSTGRES_PRE_PING": "yes",
            # How long a call waits for a connection (the library's default is 30 s). The
            # library retries a failed call ten times, so with the database away a command
            # answers 503 after some 20 s rather than five minutes; an outage of a few
            # seconds is waited out and the command succeeds.
            "POSTGRES_CONNECT_TIMEOUT": "2",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            # Must stay off: with the insert function the table lock is not taken, and the
            # relay, reading by notification id, could skip an event committed out of order.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
            "CREATE_TABLE": "yes",
            "PROCESS_RECORDER_TOPIC": "bizdev_common.eventstore:ServiceRecorder",
        }
        # The library creates and migrates its tables when it starts, deciding what to do
        # before its statements' transaction: an API and a worker starting together on a new
        # schema would both create them and insert the migration's tracking row, and one
        # would fail. One process at a time, under the schema's lock, held across it all.
        with psycopg.connect(settings.database_url, autocommit=True) as lock:
            lock.execute("SELECT pg_advisory_lock(%s)", (schema_lock(settings.schema_name),))
            super().__init__(env=env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what __init__ passes: the library would let the process environment override
        # it, even with application-prefixed names (PROJECTS_POSTGRES_SCHEMA), and point the
        # event store somewhere the relay and the projections do not look.
        return Environment(name, dict(env or {}))

    def construct_recorder(self) -> ApplicationRecorder:
        # A process recorder: it can also record, atomically with new events, the position
        # of the upstream event a reaction handled (see reactions.py), and a command's
        # Idempotency-Key (ServiceRecorder).
        return self.factory.process_recorder()

    def construct_transcoder(self) -> Transcoder:
        transcoder = MetaTranscoder()
        self.register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
        transcoder.register(DateAsISO())
        return transcoder

    def load(self, cls: type[A], aggregate_id: UUID, expected_version: int | None = None) -> A:
        """The aggregate, or NotFound; VersionConflict when the caller's copy is stale."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError as e:
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}") from e
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"{cls.__name__} {aggregate_id} is at version {aggregate.version}, "
                f"not {expected_version}: reload it and try again"
            )
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or None when there is none (yet)."""
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            return None

    def act(
        self,
        cls: type[A],
        aggregate_id: UUID,
        expected_version: int | None,
        decide: Callable[[A], object],
    ) -> CommandResult:
        """A command on one record: load it (NotFound, or VersionConflict when the caller's
        copy is stale), let it decide (its method raises what it forbids), save its events."""
        aggregate = self.load(cls, aggregate_id, expected_version)
        decide(aggregate)
        return self.commit(aggregate)

    def commit(self, main: Aggregate, *others: Aggregate) -> CommandResult:
        """Saves all pending events atomically; a concurrent writer makes it a 409. The first
        save of a request sent with an Idempotency-Key records the key with the events."""
        command = context.idempotent_command()
        if command is not None and command.recorded:
            command = None  # a request's later saves: its first one recorded the key
        kwargs: dict[str, Any] = {}
        if command is not None:
            kwargs[_IDEMPOTENCY_KWARG] = _IdempotencyRecord(command, main.id, main.version)
        try:
            with tracer.start_as_current_span(self._save_span, kind=SpanKind.CLIENT) as span:
                span.set_attribute("db.system", "postgresql")
                span.set_attribute("db.namespace", self.settings.schema_name)
                recordings = self.save(main, *others, **kwargs)
                span.set_attribute("bizdev.events", len(recordings))
        except IntegrityError as e:
            if command is not None and _is_idempotency_key_conflict(e):
                raise IdempotencyKeyTaken(command.key) from e
            raise VersionConflict(
                f"{type(main).__name__} {main.id} was changed by someone else meanwhile"
            ) from e
        if command is not None:
            command.recorded = True
        positions = [r.notification.id for r in recordings if r.notification.id is not None]
        return CommandResult(main.id, main.version, max(positions) if positions else None)

    def history(self, cls: type[Aggregate], aggregate_id: UUID) -> list[HistoryEntry]:
        """Every event of one record with who, when and why: the audit trail (REGULATIONS §1)."""
        events = list(self.events.get(aggregate_id))
        created_as = getattr(events[0], "originator_topic", None) if events else None
        if created_as is None or not issubclass(resolve_topic(created_as), cls):
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}")
        return [_history_entry(e) for e in events]

    def as_of(
        self,
        cls: type[A],
        aggregate_id: UUID,
        *,
        version: int | None = None,
        at: datetime | None = None,
    ) -> A:
        """The record as it stood at a version, or at a moment in time."""
        if at is not None:
            versions = [
                e.originator_version
                for e in self.events.get(aggregate_id)
                if getattr(e, "timestamp", at) <= at
            ]
            if not versions:
                raise NotFound(f"{aggregate_id} did not exist at {at.isoformat()}")
            version = max(versions) if version is None else min(version, max(versions))
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError as e:
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}") from e
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}")
        return aggregate


def _history_entry(e: Any) -> HistoryEntry:
    data = {
        k: v
        for k, v in vars(e).items()
        if k not in {"originator_id", "originator_version", "timestamp", "by", "originator_topic"}
    }
    return HistoryEntry(
        version=e.originator_version,
        event=type(e).__qualname__.split(".")[-1],
        at=e.timestamp,
        by=getattr(e, "by", None),
        data=data,
    )
