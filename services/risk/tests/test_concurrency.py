"""Risks identified at the same time against one subject, as the API runs them: in threads,
over one event store. Each identification also records the risk among its subject's open
risks; that shared record must not make one identification fail another."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from bizdev_common.domain import Actor, Role
from bizdev_common.eventstore import CommandResult, VersionConflict
from bizdev_risk.application import RiskApplication
from bizdev_risk.domain import COMPANY, Category, Risk, Scope, Subject
from eventsourcing.domain import Aggregate

OFFICER = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))
N = 4


def meeting_before_saving(app: RiskApplication, parties: int) -> threading.Barrier:
    """Makes the first save of each of `parties` commands wait until all of them have read
    what they decide on: the worst interleaving, every time."""
    barrier = threading.Barrier(parties, timeout=10)
    save = app.save
    met: set[int] = set()

    def waiting_save(*aggregates: Aggregate | None, **kwargs: Any) -> Any:
        me = threading.get_ident()
        if me not in met:
            met.add(me)
            barrier.wait()
        return save(*aggregates, **kwargs)

    app.save = waiting_save  # type: ignore[method-assign]
    return barrier


def identify(app: RiskApplication, n: int) -> CommandResult:
    return app.identify_risk(
        OFFICER,
        category=Category.LEGAL,
        scope=Scope.COMPANY,
        project_id=None,
        customer_id=None,
        department="risk",
        title=f"Risk {n}",
        description="What could happen",
        cause="Why",
    )


def at_once(calls: list[Callable[[], CommandResult]]) -> list[CommandResult]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def test_concurrent_identifications_against_one_subject_all_succeed(app: RiskApplication) -> None:
    meeting_before_saving(app, N)
    results = at_once([lambda n=n: identify(app, n) for n in range(N)])

    ids = {r.id for r in results}
    assert len(ids) == N
    assert all(app.load(Risk, i).title.startswith("Risk ") for i in ids)
    subject = app.load(Subject, Subject.create_id(COMPANY))
    assert set(subject.open_risks[Category.LEGAL.value]) == ids


def test_concurrent_closings_of_one_subjects_risks_all_succeed(app: RiskApplication) -> None:
    ids = [identify(app, n).id for n in range(N)]
    meeting_before_saving(app, N)
    at_once([lambda i=i: app.close_risk(OFFICER, i, None, "Gone") for i in ids])
    subject = app.load(Subject, Subject.create_id(COMPANY))
    assert subject.open_risks[Category.LEGAL.value] == []


def test_a_stale_if_match_on_the_risk_is_still_refused(app: RiskApplication) -> None:
    risk_id: UUID = identify(app, 0).id
    with pytest.raises(VersionConflict, match="not 7"):
        app.close_risk(OFFICER, risk_id, 7, "Gone")
