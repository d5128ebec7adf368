"""The risk application over the eventsourcing library's in-memory store, which refuses a
save from a stale version as PostgreSQL's does: commands run as the API runs them, in
threads."""

from __future__ import annotations

import pytest
from bizdev_risk.application import RiskApplication
from bizdev_risk.settings import RiskSettings
from eventsourcing.application import Application


class InMemoryRisk(RiskApplication):
    def __init__(self, settings: RiskSettings) -> None:  # no PostgreSQL
        self.settings = settings
        self._save_span = "save"
        Application.__init__(self, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.configure(settings)


@pytest.fixture
def app() -> RiskApplication:
    return InMemoryRisk(RiskSettings(service="risk"))
