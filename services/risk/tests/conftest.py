"""The risk application over the eventsourcing library's in-memory store (the test seam,
bizdev_common.seam), which refuses a save from a stale version as PostgreSQL's does: commands
run as the API runs them, in threads."""

from __future__ import annotations

import pytest
from bizdev_common.seam import in_memory
from bizdev_risk.application import RiskApplication
from bizdev_risk.main import parts
from bizdev_risk.settings import RiskSettings


@pytest.fixture
def app() -> RiskApplication:
    return in_memory(parts(RiskSettings(service="risk")))
