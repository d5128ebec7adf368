"""`make demo` on a fresh stack of its own (a broker of the module's own, every service on a
schema of its own, real clocks), then every list of every service shows something.

The lists are found, not listed: each service's OpenAPI document is read and every GET
operation without path parameters whose answer is a page (`items`) or an array is asked, as
the people of the demo whose roles may read it; `/inbox` as the people something waits on."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from bizdev_common import cli, export
from bizdev_common.contract import topic_for
from typer.testing import CliRunner

from .conftest import Collector, Infra, ServiceProcess

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import demo  # noqa: E402
import launcher  # noqa: E402

READERS = ["song.yi", "wang.jun", "lin.tao", "tang.hui", "luo.yu", "ma.lin", "sun.hao"]
"""The auditor first (reads everything), then management and the roles whose registers are
theirs (risk officer, hr, archivist, finance), and an owner of complaints (crm's queue is
one's own)."""

INBOXES = {
    "projects": "zhou.xin",  # an application of the market department to review
    "crm": "zhao.min",  # a contract to sign
    "finance": "wang.jun",  # an overspend to decide
    "risk": "lin.tao",  # KRI alerts to acknowledge
    "performance": "sun.hao",  # feedback to acknowledge
    "records": "luo.yu",  # records to number and bind
}

STARTED: list[float] = []

# The first test's time includes starting the whole stack and running the demo (2-3 minutes
# on a quiet machine, over 300 s on a loaded one): the suite's default would fail it there.
pytestmark = pytest.mark.timeout(900)


def list_operations(spec: dict[str, Any]) -> list[str]:
    """GET operations without path parameters that answer a page or an array."""
    schemas = spec["components"]["schemas"]
    found = []
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None or "{" in path:
            continue
        content = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        schema = content.get("schema", {})
        if "$ref" in schema:
            schema = schemas[schema["$ref"].split("/")[-1]]
        if schema.get("type") == "array" or "items" in schema.get("properties", {}):
            found.append(path)
    return found


def items_of(body: Any) -> list[Any]:
    return list(body["items"] if isinstance(body, dict) else body)


@pytest.fixture(scope="module")
def stack(
    own_kafka: Infra, logs: Path, collector: Collector
) -> Iterator[dict[str, ServiceProcess]]:
    """All six services on the module's broker and schemas of their own, started together."""
    started = {
        name: ServiceProcess(
            name,
            own_kafka,
            logs,
            collector.endpoint,
            db_schema=f"demo_{name}",
            company_time_zone=launcher.DEMO_TIME_ZONE,  # as `make up` runs the demo's company
            # Small pools: the session's services share this PostgreSQL's connection limit.
            api_event_store_connections="4",
            api_query_connections="4",
        )
        for name in launcher.services()
    }
    STARTED.append(time.monotonic())
    for svc in started.values():
        for role in svc.roles.values():
            role.launch()
    try:
        deadline = time.monotonic() + 180
        waiting = [r for s in started.values() for r in s.roles.values()]
        while waiting and time.monotonic() < deadline:
            waiting = [r for r in waiting if not r.answers()]
            time.sleep(0.3)
        assert not waiting, [str(r.log_path) for r in waiting]
        urls = {name: svc.url for name, svc in started.items()}
        while demo.check_up(urls) and time.monotonic() < deadline:
            time.sleep(0.3)  # each API's views built, as `make up` waits for before its table
        assert not demo.check_up(urls)
        yield started
    finally:
        for svc in started.values():
            svc.stop()


def test_the_demo_fills_every_list_of_every_service(
    stack: dict[str, ServiceProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    urls = {name: svc.url for name, svc in stack.items()}
    print(f"stack up in {time.monotonic() - STARTED[0]:.0f}s")
    started = time.monotonic()
    assert demo.main(["--urls", json.dumps(urls)]) == 0, capsys.readouterr().err
    first_run = time.monotonic() - started
    assert "done:" in capsys.readouterr().out

    people = demo.Demo(urls, demo.DEV_SECRET, print)

    def size(name: str, path: str, who: str) -> int:
        r = httpx.get(f"{urls[name]}{path}", headers=people.auth(who), timeout=30)
        if r.status_code != 200:
            return 0
        body = r.json()
        return int(body["total"]) if isinstance(body, dict) else len(body)

    empty, seen = [], {}
    for name in stack:
        paths = list_operations(httpx.get(f"{urls[name]}/openapi.json").json())
        assert "/inbox" in paths, name
        for path in paths:
            readers = [INBOXES[name]] if path == "/inbox" else READERS
            # What a scheduler reports (an overdue milestone or visit) comes at its next tick.
            deadline = time.monotonic() + 30
            while True:
                found = [(who, n) for who in readers if (n := size(name, path, who))]
                if found or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            if found:
                seen[(name, path)] = found[0]
            else:
                empty.append(f"{name} {path}")
    assert not empty, f"lists the demo left empty: {empty}"
    print(f"demo: {first_run:.0f}s; {len(seen)} lists with items: {seen}")
    alerts = httpx.get(f"{urls['risk']}/alerts", headers=people.auth("lin.tao")).json()["items"]
    assert {a["indicator"] for a in alerts} >= {
        "complaints_per_customer",  # Pearl Retail's two complaints
        "overdue_milestones_per_project",  # the kick-off due yesterday
        "budget_overruns_per_project",  # the overspend approved and paid
    }, alerts

    # A second run replays the first one's answers (Idempotency-Keys): nothing new is made.
    assert demo.main(["--urls", json.dumps(urls)]) == 0, capsys.readouterr().err
    grown = {
        (name, path): (n, size(name, path, who))
        for (name, path), (who, n) in seen.items()
        if size(name, path, who) != n
    }
    assert not grown, f"a second run changed: {grown}"
    print(f"checked and replayed in {time.monotonic() - started:.0f}s")


def test_the_demo_exports_to_duckdb_one_table_per_event_type(
    stack: dict[str, ServiceProcess], own_kafka: Infra, tmp_path: Path
) -> None:
    """`bizdev export` after the demo (the test above): every event type on the topics is a
    table with as many rows as the topics have records of it, the ready queries answer, and
    a second export adds nothing."""
    for svc in stack.values():  # quiet topics: no scheduler publishes while they are counted
        svc.stop()
    on_topics = asyncio.run(count_types(own_kafka.kafka_bootstrap))
    assert len(on_topics) > 50, on_topics  # the demo's company: some 230 events of 80 types
    database = tmp_path / "demo.duckdb"
    args = ["export", str(database), "--bootstrap", own_kafka.kafka_bootstrap, "--report"]
    runner = CliRunner()
    first = runner.invoke(cli.app, args, terminal_width=200)
    assert first.exit_code == 0, first.output
    assert f"{sum(on_topics.values())} row(s) added" in first.output, first.output
    for query in export.queries():
        assert f"{query.name}.sql" in first.output

    with duckdb.connect(str(database), read_only=True) as db:
        for ce_type, n in on_topics.items():
            service, table = export.table_name(ce_type)
            (rows,) = db.execute(f'SELECT count(*) FROM "{service}"."{table}"').fetchone() or ()
            assert rows == n, ce_type
        assert db.execute("SELECT count(*) FROM export_state.unreadable").fetchone() == (0,)
        for query in export.queries():  # the demo's company has something for each
            _, answered = export.answer(db, query)
            assert answered, query.name

    again = runner.invoke(cli.app, args[:-1])
    assert again.exit_code == 0, again.output
    assert "0 row(s) added" in again.output, again.output


async def count_types(bootstrap: str) -> Counter[str]:
    """Records per `ce_type` on the services' event topics, read to their ends."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    found: Counter[str] = Counter()
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [
            TopicPartition(topic_for(name), p)
            for name in launcher.services()
            for p in cluster.partitions_for_topic(topic_for(name)) or ()
        ]
        assert tps, cluster.topics()
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.update(dict(r.headers)["ce_type"].decode() for r in records)
    finally:
        await consumer.stop()
    return found


def test_the_demo_says_clearly_when_nothing_is_up(capsys: pytest.CaptureFixture[str]) -> None:
    port = launcher.free_port()
    urls = {name: f"http://127.0.0.1:{port}" for name in launcher.services()}
    assert demo.main(["--urls", json.dumps(urls)]) == 2
    err = capsys.readouterr().err
    assert "bizdev is not up" in err
    assert "make up" in err
