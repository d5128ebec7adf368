"""Wiring: the parts of the performance service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import settings_for
from fastapi import FastAPI

from bizdev_performance.api import router
from bizdev_performance.application import PerformanceApplication
from bizdev_performance.projections import PROJECTIONS
from bizdev_performance.published import CONTRACT
from bizdev_performance.reactions import EvaluationStepCheck, LeadRewardReaction
from bizdev_performance.settings import PerformanceSettings


def parts(
    settings: PerformanceSettings | None = None,
) -> ServiceParts[PerformanceApplication, PerformanceSettings]:
    return ServiceParts(
        settings=settings or settings_for(PerformanceSettings, "performance"),
        title="bizdev performance",
        description=(
            "The organisation (people, departments, supervisors; teams from projects); "
            "indicators and targets, with actuals from crm's, finance's and projects' events "
            "(REGULATIONS 8.1, 8.3); evaluation cycles with ratings, frozen scores and "
            "feedback (8.2); incentives and sanctions with their grounds (8.4); lead rewards "
            "(2.1)."
        ),
        application=PerformanceApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[LeadRewardReaction],
        deadline_checks=[EvaluationStepCheck()],
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-performance api | worker | rebuild-views | dlq ...`"""
    serve(parts())
