"""The worker's lag and backlog gauges, from a measurement (tests/integration/test_signals.py
measures a running service)."""

from __future__ import annotations

from bizdev_common.signals import ConsumerLag, Measurement, RelayBacklog, Signals
from bizdev_projects.main import parts
from prometheus_client import CollectorRegistry, generate_latest

NOW = 1_800_000_000.0
TOPIC = "bizdev.projects.events.v1"


def exposed(measurement: Measurement | None) -> dict[str, float]:
    registry = CollectorRegistry()
    signals = Signals(parts(), registry, clock=lambda: NOW)
    signals.last = measurement
    out: dict[str, float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def labels(group: str, kind: str, partition: int) -> str:
    return (
        f'{{consumer_group="{group}",kind="{kind}",partition="{partition}",'
        f'service="projects",topic="{TOPIC}"}}'
    )


def test_lag_position_and_how_far_behind_each_partition_is() -> None:
    behind = ConsumerLag("projects.views", "projection", TOPIC, 0, 40, 50)
    caught_up = ConsumerLag("projects.views", "projection", TOPIC, 1, 7, 7)
    never_read = ConsumerLag("projects.reacts", "reaction", TOPIC, 2, None, 3)
    written = {(TOPIC, 0, 40): NOW - 90, (TOPIC, 2, None): NOW - 3600}
    m = Measurement([behind, caught_up, never_read], written, RelayBacklog(120, 125, 5), NOW - 4)
    out = exposed(m)
    assert out["bizdev_consumer_lag" + labels("projects.views", "projection", 0)] == 10
    assert out["bizdev_consumer_position" + labels("projects.views", "projection", 0)] == 40
    assert out["bizdev_consumer_lag_seconds" + labels("projects.views", "projection", 0)] == 90
    assert out["bizdev_consumer_lag" + labels("projects.views", "projection", 1)] == 0
    assert out["bizdev_consumer_lag_seconds" + labels("projects.views", "projection", 1)] == 0
    assert out["bizdev_consumer_lag" + labels("projects.reacts", "reaction", 2)] == 3
    assert out["bizdev_consumer_position" + labels("projects.reacts", "reaction", 2)] == 0
    assert out["bizdev_consumer_lag_seconds" + labels("projects.reacts", "reaction", 2)] == 3600
    assert out['bizdev_relay_backlog{service="projects"}'] == 5
    assert out['bizdev_relay_position{service="projects"}'] == 120
    assert out['bizdev_signals_measured_timestamp_seconds{service="projects"}'] == NOW - 4


def test_a_lagging_partition_not_dated_has_no_age_rather_than_a_wrong_one() -> None:
    lagging = ConsumerLag("projects.views", "projection", TOPIC, 0, 40, 50)
    out = exposed(Measurement([lagging], {}, RelayBacklog(None, 0, 0), NOW))
    assert out["bizdev_consumer_lag" + labels("projects.views", "projection", 0)] == 10
    assert not [k for k in out if k.startswith("bizdev_consumer_lag_seconds")]


def test_nothing_before_the_first_measurement() -> None:
    assert not [k for k in exposed(None) if k.startswith(("bizdev_consumer", "bizdev_relay"))]
