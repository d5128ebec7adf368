"""Wiring: the parts of the risk service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import settings_for
from fastapi import FastAPI

from bizdev_risk.api import router
from bizdev_risk.application import RiskApplication
from bizdev_risk.projections import PROJECTIONS
from bizdev_risk.published import CONTRACT
from bizdev_risk.reactions import (
    IdentificationDueCheck,
    KriReaction,
    KriWindowCheck,
    MeasureDueCheck,
    ReviewDueCheck,
)
from bizdev_risk.settings import RiskSettings


def parts(settings: RiskSettings | None = None) -> ServiceParts[RiskApplication, RiskSettings]:
    return ServiceParts(
        settings=settings or settings_for(RiskSettings, "risk"),
        title="bizdev risk",
        description=(
            "The risk register (REGULATIONS §5): risks identified against a project, a customer "
            "or the company, by the departments in periodic rounds (5.1); assessed on a 5x5 "
            "matrix, inherent and residual, with scenario analyses; answered with a strategy "
            "and measures reviewed on a cadence by level (5.2); key risk indicators computed "
            "from crm's, finance's and projects' events, whose crossings raise alerts and "
            "risks; review meetings (5.3)."
        ),
        application=RiskApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[KriReaction],
        deadline_checks=[
            KriWindowCheck(),
            MeasureDueCheck(),
            ReviewDueCheck(),
            IdentificationDueCheck(),
        ],
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-risk api | worker | rebuild-views | dlq ...`"""
    serve(parts())
