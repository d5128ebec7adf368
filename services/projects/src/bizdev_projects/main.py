"""Wiring: the parts of the projects service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import ServiceSettings, settings_for
from fastapi import FastAPI

from bizdev_projects.api import router
from bizdev_projects.application import (
    ActionItemOverdueCheck,
    MilestoneOverdueCheck,
    ProjectsApplication,
)
from bizdev_projects.projections import PROJECTIONS
from bizdev_projects.published import CONTRACT
from bizdev_projects.reactions import CrmCustomersReaction


def parts(
    settings: ServiceSettings | None = None,
) -> ServiceParts[ProjectsApplication, ServiceSettings]:
    return ServiceParts(
        settings=settings or settings_for(ServiceSettings, "projects"),
        title="bizdev projects",
        description=(
            "Leads, market insights, project initiation applications and the projects their "
            "approval opens (REGULATIONS §2); business plans and their reviews, teams, "
            "milestones, health, deviation reports and closing (§3); meetings, action items "
            "and outside contacts (§6). Knows crm's customers from crm's events."
        ),
        application=ProjectsApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[CrmCustomersReaction],
        deadline_checks=[MilestoneOverdueCheck(), ActionItemOverdueCheck()],
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-projects api | worker | rebuild-views | dlq ...`"""
    serve(parts())
