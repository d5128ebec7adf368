"""Wiring: the parts of the finance service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import settings_for
from fastapi import FastAPI

from bizdev_finance.api import router
from bizdev_finance.application import FinanceApplication
from bizdev_finance.projections import PROJECTIONS
from bizdev_finance.published import CONTRACT
from bizdev_finance.reactions import (
    ContractReceivableReaction,
    InvoiceDueCheck,
    PlanBudgetReaction,
    ProjectTeamReaction,
)
from bizdev_finance.settings import FinanceSettings


def parts(
    settings: FinanceSettings | None = None,
) -> ServiceParts[FinanceApplication, FinanceSettings]:
    return ServiceParts(
        settings=settings or settings_for(FinanceSettings, "finance"),
        title="bizdev finance",
        description=(
            "Each project's budget from its approved plan, approved and revised by finance "
            "with every version kept (REGULATIONS 7.1); expenses against its lines, booked by "
            "the project's team (from projects' events), its department's head or finance, "
            "spending beyond budget plus contingency held for management, committed, then "
            "posted when paid (7.2); revenue and receivables from crm's signed contracts; "
            "monthly periods closed with the variance per line explained (7.3)."
        ),
        application=FinanceApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[PlanBudgetReaction, ProjectTeamReaction, ContractReceivableReaction],
        deadline_checks=[InvoiceDueCheck()],
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-finance api | worker | rebuild-views | dlq ...`"""
    serve(parts())
