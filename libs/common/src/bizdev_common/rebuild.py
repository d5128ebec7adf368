"""Rebuilding a projection while the service runs: into fresh tables, then swapped in.

`rebuild-views` (service.py) empties a view in place, so queries see it empty until the
workers refill it, and the workers must be stopped. This builds a second copy instead:

1. the projection's tables (with their list indexes and a tracking table of their own) are
   created in a shadow schema, `<schema>__rebuild_<projection>`, dropped first if an
   interrupted rebuild left it;
2. the service's own events are read from the beginning of its event store, as the live
   feed reads them (feed.py), and other services' from the beginning of their topics by an
   outside consumer (no group: it commits nothing); both are applied there with the
   projection's own `apply_batch`, so the copy is built exactly as the live one was, up to
   the sources' end, then again until it is within `SWAP_LAG` events of it;
3. one transaction takes the live `projection_tracking` table in EXCLUSIVE mode: the live
   feed and projectors of the service begin each batch by locking their tracking rows, so
   they wait there, and one already in a batch is waited for. Inside it the copy catches up
   to at least the live positions (the live ones cannot move now), the live tables move to
   a retired schema and the copy's into the service's schema under the same names, and the
   live tracking rows become the copy's. At commit the live feed and projector resume from
   the copy's positions: each event after them they apply, each before them they skip by its
   `ce_sequence` (the notification id, for the own events) - nothing applied twice, nothing
   missed;
4. the retired tables are dropped.

Queries never see a missing or half-built table: `ALTER TABLE ... SET SCHEMA` holds the
tables' locks until commit, a query waiting on one resolves its table's name again when it
gets it (PostgreSQL does so after any lock wait), and so reads the new table. Deadlines the
scheduler has already fired keep their `fired_at` across the swap.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bizdev_common.deadletters import DeadLetters, Handler, retrying
from bizdev_common.envelope import source_for
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.feed import StoreBatch, store_batch
from bizdev_common.projector import STORE_PARTITION, Parking, Projection
from bizdev_common.readmodel import create_list_indexes, list_queries
from bizdev_common.scheduler import DEADLINES_DDL

if TYPE_CHECKING:
    from bizdev_common.parts import ServiceParts

log = logging.getLogger(__name__)

SWAP_LAG = 200
"""Records the copy may still lack when the swap starts: caught up inside the swap, while
the live projector waits."""
BATCH = 500
LOCK_TIMEOUT_SECONDS = 60
BOOKKEEPING = frozenset({"projection_tracking", "projection_versions", "deadlines"})


def shadow_schema(schema: str, projection: str) -> str:
    return f"{schema}__rebuild_{projection}"


def retired_schema(schema: str, projection: str) -> str:
    return f"{schema}__retired_{projection}"


@dataclass
class Progress:
    """What a rebuild reports as it goes: events applied of those known to exist."""

    on_change: Callable[[Progress], None] = lambda p: None
    phase: str = "starting"
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)

    def update(
        self, *, phase: str | None = None, done: int | None = None, total: int | None = None
    ) -> None:
        if phase is not None:
            self.phase = phase
        if done is not None:
            self.done = done
        if total is not None:
            self.total = max(total, self.done)
        self.on_change(self)


class RebuildRefused(RuntimeError):
    """The rebuild cannot go on; nothing was swapped."""


class RebuildRunning(RebuildRefused):
    """Another rebuild of the same projection holds its lock."""


@dataclass(frozen=True)
class Swapped:
    projection: str
    relations: list[str]
    records: int
    seconds: float


class Rebuild:
    """One projection of a service, rebuilt into a shadow schema and swapped in."""

    def __init__(
        self,
        parts: ServiceParts[Any, Any],
        make: Callable[[str], Projection],
        progress: Progress | None = None,
    ) -> None:
        s = parts.settings
        self.parts = parts
        self.settings = s
        self.live = make(s.schema_name)
        self.schema = s.schema_name
        self.shadow_schema = shadow_schema(s.schema_name, self.live.name)
        self.retired_schema = retired_schema(s.schema_name, self.live.name)
        self.shadow = make(self.shadow_schema)
        self.progress = progress or Progress()
        # A record the live projector parked is parked under its own group, so the copy
        # meets the same letter (ON CONFLICT: once) and a replay goes to the live handler.
        group = f"{s.schema_name}.{self.live.name}"
        self.handler = Handler("projection", self.live.name, group)
        self.dead_letters = DeadLetters(s)
        self.positions: dict[TopicPartition, int] = {}
        self.store_at = 0
        """The notification id the copy has applied the own events up to."""
        self.app: ServiceApplication | None = None

    async def run(self) -> Swapped:
        started = time.monotonic()
        s = self.settings
        build = await asyncpg.connect(s.database_url)
        live = await asyncpg.connect(s.database_url)
        if self.live.own_topics:
            self.app = await asyncio.to_thread(self.parts.application, s)
        # Only a projection of other services' events needs Kafka to be rebuilt.
        consumer = None
        if self.live.foreign_topics:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=s.kafka_bootstrap_servers,
                enable_auto_commit=False,
                client_id=f"{s.service}-rebuild",
            )
            await consumer.start()
        try:
            # Two rebuilds of one projection would drop each other's copy.
            if not await live.fetchval(
                "SELECT pg_try_advisory_lock($1)",
                zlib.crc32(f"bizdev-rebuild:{self.shadow_schema}".encode()),
            ):
                raise RebuildRunning(f"a rebuild of {self.schema}.{self.live.name} is running")
            await self._prepare(build)
            tps = await self._assign(consumer) if consumer else []
            begin = await consumer.beginning_offsets(tps) if consumer else {}
            self.positions = dict(begin)
            base = sum(begin.values())
            phase = "building"
            while True:  # then catch up with what arrived meanwhile, until little is left
                ends = await consumer.end_offsets(tps) if consumer else {}
                store_end = await self._store_end(build)
                behind = store_end - self.store_at
                behind += sum(max(0, ends[tp] - self.positions[tp]) for tp in tps)
                self.progress.update(phase=phase, total=sum(ends.values()) - base + store_end)
                if phase != "building" and behind <= SWAP_LAG:
                    break
                await self._build_store_until(build, store_end, base)
                if consumer:
                    await self._build_until(consumer, build, ends, base)
                phase = "catching up"
            self.progress.update(phase="swapping")
            try:
                relations = await self._swap(consumer, build, live, tps, base)
            except RebuildRefused:
                await live.execute(f'DROP SCHEMA IF EXISTS "{self.shadow_schema}" CASCADE')
                raise
            await live.execute(f'DROP SCHEMA IF EXISTS "{self.retired_schema}" CASCADE')
            await live.execute(f'DROP SCHEMA IF EXISTS "{self.shadow_schema}" CASCADE')
            self.progress.update(phase="swapped")
            return Swapped(
                self.live.name, relations, self.progress.done, time.monotonic() - started
            )
        finally:
            if consumer:
                await consumer.stop()
            if self.app is not None:
                await asyncio.to_thread(self.app.close)
            await self.dead_letters.close()
            await build.close()
            await live.close()

    async def _prepare(self, conn: asyncpg.Connection) -> None:
        shadow = f'"{self.shadow_schema}"'
        await conn.execute(f"DROP SCHEMA IF EXISTS {shadow} CASCADE")
        await conn.execute(f'DROP SCHEMA IF EXISTS "{self.retired_schema}" CASCADE')
        await self.shadow.create(conn)
        # A projection may arm deadlines without declaring the table; the copy needs one.
        await conn.execute(DEADLINES_DDL.format(schema=shadow))
        await create_list_indexes(conn, self.shadow_schema, list_queries(self.parts.routers))

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        tps: list[TopicPartition] = []
        for topic in self.live.foreign_topics:
            partitions = consumer.partitions_for_topic(topic)
            for _ in range(50):
                if partitions:
                    break
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(topic)
                await asyncio.sleep(0.1)
            tps += [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        return tps

    async def _build_until(
        self,
        consumer: AIOKafkaConsumer,
        conn: asyncpg.Connection,
        targets: dict[TopicPartition, int],
        base: int,
    ) -> None:
        """Applies records to the copy until each partition's position reaches its target."""
        wanted = [tp for tp, end in targets.items() if self.positions.get(tp, 0) < end]
        while wanted:
            batch = await consumer.getmany(*wanted, timeout_ms=500, max_records=BATCH)
            records: list[ConsumerRecord] = [r for recs in batch.values() for r in recs]
            if records:
                await self._apply(conn, records)
            for tp in wanted:
                self.positions[tp] = await consumer.position(tp)
            wanted = [tp for tp in wanted if self.positions[tp] < targets[tp]]
            self._show(base)

    def _show(self, base: int) -> None:
        self.progress.update(done=sum(self.positions.values()) - base + self.store_at)

    async def _store_end(self, conn: asyncpg.Connection) -> int:
        if self.app is None:
            return 0
        s = self.settings
        end: int = await conn.fetchval(
            f'SELECT coalesce(max(notification_id), 0) FROM "{s.schema_name}".{s.service}_events'
        )
        return end

    async def _build_store_until(self, conn: asyncpg.Connection, target: int, base: int) -> None:
        """Applies the own events to the copy until it has applied notification `target`."""
        app = self.app
        if app is None:
            return
        contract = self.live.contracts[self.live.own_topics[0]]
        source = source_for(self.settings.service)
        while self.store_at < target:
            notifications = await asyncio.to_thread(
                app.recorder.select_notifications, self.store_at, BATCH, None, ()
            )
            notifications = [n for n in notifications if n.id > self.store_at]
            if not notifications:
                return
            batch = store_batch(app, contract, source, notifications)
            await self._apply(conn, batch.records, batch)
            self.store_at = batch.through
            self._show(base)

    async def _apply(
        self,
        conn: asyncpg.Connection,
        records: Sequence[ConsumerRecord],
        store: StoreBatch | None = None,
    ) -> None:
        async def attempt(n: int, last: bool) -> None:
            parking = Parking(self.dead_letters, self.handler, n, last)
            if store is None:
                await self.shadow.apply_batch(conn, records, parking)
            else:
                await self.shadow.apply_batch(conn, records, parking, store.through, store.decoded)

        where = (
            f"notifications up to {store.through}"
            if store is not None
            else f"{records[0].topic}/{records[0].partition}@{records[0].offset}"
        )
        await retrying(
            self.settings, f"rebuild of {self.live.name}: {len(records)} event(s), {where}", attempt
        )

    async def _swap(
        self,
        consumer: AIOKafkaConsumer | None,
        build: asyncpg.Connection,
        live: asyncpg.Connection,
        tps: list[TopicPartition],
        base: int,
    ) -> list[str]:
        schema, shadow, retired = (
            f'"{self.schema}"',
            f'"{self.shadow_schema}"',
            f'"{self.retired_schema}"',
        )
        name = self.live.name
        async with live.transaction():
            # A projector stuck mid-batch must not hold the rebuild (and then the projectors
            # queued behind it) for ever: give up, nothing swapped; run it again.
            await live.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
            await live.execute(f"LOCK TABLE {schema}.projection_tracking IN EXCLUSIVE MODE")
            rows = await live.fetch(
                f"SELECT topic, partition, kafka_offset FROM {schema}.projection_tracking "
                "WHERE projection = $1",
                name,
            )
            # The live feed and projector have applied up to these positions: the copy must
            # have too.
            targets = {tp: self.positions[tp] for tp in tps}
            store_target = self.store_at
            for r in rows:
                if r["partition"] == STORE_PARTITION:
                    store_target = max(store_target, r["kafka_offset"])
                    continue
                tp = TopicPartition(r["topic"], r["partition"])
                targets[tp] = max(targets.get(tp, 0), r["kafka_offset"] + 1)
            await self._build_store_until(build, store_target, base)
            if consumer:
                await self._build_until(consumer, build, targets, base)
            relations = await self._relations(live)
            await self._refuse_foreign_views(live, [rel for rel, _ in relations])
            await live.execute(f"CREATE SCHEMA {retired}")
            for rel, kind in relations:
                verb = {"v": "VIEW", "m": "MATERIALIZED VIEW"}.get(kind, "TABLE")
                await live.execute(f"ALTER {verb} IF EXISTS {schema}.{rel} SET SCHEMA {retired}")
                await live.execute(f"ALTER {verb} {shadow}.{rel} SET SCHEMA {schema}")
            if "deadlines" in dict(relations):
                await live.execute(
                    f"UPDATE {schema}.deadlines AS d SET fired_at = r.fired_at "
                    f"FROM {retired}.deadlines AS r WHERE r.fired_at IS NOT NULL "
                    "AND (d.kind, d.aggregate_id, d.item, d.due_at) "
                    "= (r.kind, r.aggregate_id, r.item, r.due_at)"
                )
            await live.execute(
                f"DELETE FROM {schema}.projection_tracking WHERE projection = $1", name
            )
            await live.execute(
                f"INSERT INTO {schema}.projection_tracking "
                f"SELECT * FROM {shadow}.projection_tracking WHERE projection = $1",
                name,
            )
            await live.execute(
                f"INSERT INTO {schema}.projection_versions VALUES ($1, $2) "
                "ON CONFLICT (projection) DO UPDATE SET fingerprint = EXCLUDED.fingerprint",
                name,
                self.live.fingerprint,
            )
        return [rel for rel, _ in relations]

    async def _refuse_foreign_views(self, conn: asyncpg.Connection, moving: list[str]) -> None:
        """A view that is not the projection's own but reads one of its tables would follow
        the table into the retired schema and be dropped with it: refuse, swap nothing."""
        foreign = await conn.fetch(
            "SELECT DISTINCT vn.nspname || '.' || v.relname AS name FROM pg_depend d "
            "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
            "JOIN pg_namespace vn ON vn.oid = v.relnamespace "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
            "WHERE tn.nspname = $1 AND t.relname = ANY($2::text[]) AND v.oid <> t.oid "
            "AND NOT (vn.nspname = $1 AND v.relname = ANY($2::text[]))",
            self.schema,
            moving,
        )
        if foreign:
            names = ", ".join(r["name"] for r in foreign)
            raise RebuildRefused(f"views outside {self.live.name} read its tables: {names}")

    async def _relations(self, conn: asyncpg.Connection) -> list[tuple[str, str]]:
        """The copy's tables and views to swap in: the projection's declared tables and any
        view its DDL made (a view follows its tables by identity, so it moves with them);
        views first, so no live view is left pointing at a retired table's name."""
        rows = await conn.fetch(
            "SELECT c.relname, c.relkind::text AS kind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p')",
            self.shadow_schema,
        )
        declared = set(self.live.tables)
        found = [
            (r["relname"], r["kind"])
            for r in rows
            if r["relname"] in declared or (r["kind"] == "v" and r["relname"] not in BOOKKEEPING)
        ]
        return sorted(found, key=lambda rk: (rk[1] != "v", rk[0]))
