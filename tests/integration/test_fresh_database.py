"""Six services started at once on a fresh database (no extension yet, nothing prepared it)
all get their trigram indexes: none loses a race to create pg_trgm and goes without."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import launcher
import pytest
from bizdev_common import catalog
from bizdev_common.readmodel import list_queries

from .conftest import Collector, Infra, ServiceProcess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    pg = launcher.Postgres(tmp_path_factory.mktemp("fresh-pg"), durable=False)
    pg.start()
    try:
        yield Infra(pg.url, infra.kafka_bootstrap)
    finally:
        pg.stop()


async def searched_tables(url: str, name: str) -> tuple[set[str], set[str]]:
    """The tables of `name`'s searchable lists, and its trigram indexes."""
    parts = catalog.load(name).parts
    conn = await asyncpg.connect(url)
    try:
        kinds = {
            r["relname"]: r["relkind"]
            for r in await conn.fetch(
                "SELECT c.relname, c.relkind::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                name,
            )
        }
        wanted = {
            f"{q.table}_search"
            for q in list_queries(parts.routers)
            if q.text and kinds.get(q.table) in ("r", "m")
        }
        found = {
            r["indexname"]
            for r in await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = $1 "
                "AND indexdef LIKE '%gin_trgm_ops%'",
                name,
            )
        }
    finally:
        await conn.close()
    return wanted, found


async def test_six_workers_at_once_on_a_fresh_database_all_get_trigram_indexes(
    fresh: Infra, logs: Path, collector: Collector
) -> None:
    names = catalog.service_names(ROOT)
    assert len(names) == 6
    services = [
        ServiceProcess(n, fresh, logs, collector.endpoint, roles=("worker",)) for n in names
    ]
    for svc in services:
        svc.worker.launch()  # every one before any is up: they meet the empty database together
    try:
        deadline = time.monotonic() + 300  # six imports at once on a busy machine
        waiting = list(services)
        while waiting and time.monotonic() < deadline:
            waiting = [s for s in waiting if not s.worker.answers()]
            await asyncio.sleep(0.3)
        assert not waiting, f"not started: {[s.name for s in waiting]}"
        searched = 0
        for name in names:
            wanted, found = await searched_tables(fresh.database_url, name)
            assert wanted <= found, f"{name}: no trigram index for {wanted - found}"
            searched += len(wanted)
        assert searched, "no service has a searchable list: the test would prove nothing"
        for svc in services:
            log = svc.worker.log_path.read_text()
            assert "pg_trgm is not installed" not in log, f"{svc.name}: {log[-2000:]}"
    finally:
        for svc in services:
            svc.stop()
