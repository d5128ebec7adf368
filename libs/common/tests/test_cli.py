"""The operator's CLI without a running system: tokens, the reading of records, filters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from aiokafka import ConsumerRecord
from bizdev_common.auth import DEV_SECRET
from bizdev_common.cli import Filter, _bootstrap_for, app, installed_services, readable
from bizdev_common.consuming import record_of
from bizdev_common.envelope import Envelope
from bizdev_common.process import services
from typer.testing import CliRunner

runner = CliRunner()


def record(headers: list[tuple[str, bytes]], value: bytes) -> ConsumerRecord:
    return record_of("bizdev.projects.events.v1", 2, 41, None, value, headers)


def test_token_carries_the_roles_department_and_user_asked_for() -> None:
    done = runner.invoke(
        app, ["token", "employee", "department_head", "--dept", "market", "--user", "ann"]
    )
    assert done.exit_code == 0, done.output
    claims = jwt.decode(done.output.strip(), DEV_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["department"]) == ("ann", "market")
    assert claims["roles"] == ["employee", "department_head"]
    assert claims["exp"] - claims["iat"] == 8 * 3600


def test_token_refuses_an_unknown_role() -> None:
    done = runner.invoke(app, ["token", "emperor"])
    assert done.exit_code == 2
    assert "emperor" in done.output


def test_a_record_reads_as_a_cloudevent_with_its_data() -> None:
    aggregate = uuid.uuid4()
    envelope = Envelope(
        id=f"{aggregate}/3",
        source="/bizdev/projects",
        type="bizdev.projects.LeadDiscarded.v1",
        time=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        subject=str(aggregate),
        sequence=99,
    )
    event = readable(record(envelope.headers({}), json.dumps({"reasons": "no"}).encode()))
    assert event == {
        "position": "bizdev.projects.events.v1/2@41",
        "type": "bizdev.projects.LeadDiscarded.v1",
        "subject": str(aggregate),
        "time": "2026-01-02T03:04:00+00:00",
        "id": f"{aggregate}/3",
        "sequence": 99,
        "data": {"reasons": "no"},
    }
    assert Filter("LeadDiscarded")(event)
    assert Filter("bizdev.projects.LeadDiscarded.v1", str(aggregate))(event)
    assert not Filter("LeadSubmitted")(event)
    assert not Filter(aggregate=str(uuid.uuid4()))(event)


def test_a_record_that_is_no_cloudevent_is_shown_as_such() -> None:
    event = readable(record([("x", b"y")], b"\xff not json"))
    assert event["type"] is None
    assert "not a CloudEvent" in event["error"]
    assert "not json" in event["data"]


def test_every_service_of_the_workspace_is_found_installed() -> None:
    workspace = set(services(Path(__file__).resolve().parents[3]))
    assert workspace
    assert workspace <= set(installed_services())


def test_a_service_not_installed_is_refused_by_name() -> None:
    done = runner.invoke(app, ["history", "payroll", str(uuid.uuid4())])
    assert done.exit_code == 2
    assert "payroll" in done.output


def test_a_topic_is_read_on_its_services_kafka_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZDEV_RISK_KAFKA_BOOTSTRAP_SERVERS", "kafka.risk:9092")
    assert _bootstrap_for("bizdev.risk.events.v1", None) == "kafka.risk:9092"
    assert _bootstrap_for("bizdev.risk.events.v1", "other:9092") == "other:9092"
    assert _bootstrap_for("somebody.elses.topic", None) == "127.0.0.1:9092"
