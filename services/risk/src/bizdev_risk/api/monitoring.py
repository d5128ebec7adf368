"""Monitoring (REGULATIONS 5.3): the key risk indicators the risk officer defines and tunes
(versioned), computed from other services' events; their values over time; the alerts
their crossings raise, active until the risk officer acknowledges them. Read by the risk
officer, management and the auditor."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from bizdev_common.api import (
    Accepted,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Moment, Name, PageParams, Text, Title, Version
from bizdev_common.commands import CommandRoute
from bizdev_common.readmodel import ListQuery, Page
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.api.common import App, Change, Create, require_reads_all
from bizdev_risk.domain import COUNTABLE, Alert, Band, Category, KriDefinition, Scope
from bizdev_risk.domain.indicator import WINDOW_DAYS_MAX

router = APIRouter(route_class=CommandRoute)


class IndicatorView(BaseModel):
    name: str
    version: int = Field(description="Its definition's version; send it back as If-Match")
    title: str
    source: str = Field(description="The service whose events it counts")
    events: list[str] = Field(description="The events it counts")
    scope: Scope = Field(description="Per what it counts them")
    category: Category = Field(description="The category of the risk its alerts raise")
    window_days: int = Field(description="The rolling window")
    warning: int = Field(description="A value at or above it is past the warning threshold")
    critical: int = Field(description="... the critical threshold")
    defined_by: str | None = Field(
        description="User id of who defined or last revised it; null for a built-in version 1"
    )


def _view(d: KriDefinition) -> IndicatorView:
    i = d.indicator
    return IndicatorView(
        name=i.name,
        version=i.version,
        title=i.title,
        source=i.source,
        events=list(i.events),
        scope=i.scope,
        category=i.category,
        window_days=i.window_days,
        warning=i.warning,
        critical=i.critical,
        defined_by=d.by,
    )


@router.get(
    "/indicators",
    response_model=list[IndicatorView],
    tags=["monitoring"],
    summary="The key risk indicators' definitions, each in its current version",
)
def indicators(actor: CurrentActor, app: App) -> list[IndicatorView]:
    require_reads_all(actor)
    return [_view(d) for d in app.definitions()]


@router.get(
    "/indicators/{name}",
    response_model=IndicatorView,
    tags=["monitoring"],
    summary="One indicator's definition, in its current version or in `version`",
)
def indicator(
    name: str,
    actor: CurrentActor,
    app: App,
    response: Response,
    version: Annotated[Version | None, Query(description="An earlier version")] = None,
) -> IndicatorView:
    require_reads_all(actor)
    found = app.as_of(KriDefinition, KriDefinition.create_id(name), version=version)
    response.headers["ETag"] = f'"{found.version}"'
    return _view(found)


class IndicatorRevisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    events: list[Name] = Field(
        min_length=1,
        max_length=len(COUNTABLE),
        description=f"What it counts, events of one service: {', '.join(COUNTABLE)}",
    )
    category: Category = Field(description="The category of the risk its alerts raise")
    window_days: int = Field(ge=1, le=WINDOW_DAYS_MAX, description="The rolling window")
    warning: int = Field(ge=1, le=1_000_000, description="The warning threshold")
    critical: int = Field(ge=2, le=1_000_000, description="The critical threshold, above it")


class IndicatorIn(IndicatorRevisionIn):
    name: Name = Field(description="2 to 80 of a-z, 0-9 and _; fixed once defined")
    scope: Scope = Field(description="Per what it counts: fixed once defined")


@router.post(
    "/indicators",
    status_code=201,
    response_model=Accepted,
    tags=["monitoring"],
    summary="Define a key risk indicator (risk officer)",
    description="Publishes KriDefined. It counts from now on.",
)
def define_indicator(body: IndicatorIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.define_indicator(
        actor,
        name=body.name,
        title=body.title,
        events=body.events,
        scope=body.scope,
        category=body.category,
        window_days=body.window_days,
        warning=body.warning,
        critical=body.critical,
    )
    return cmd.accepted(result)


@router.put(
    "/indicators/{name}",
    response_model=Accepted,
    tags=["monitoring"],
    summary="Revise an indicator's definition (risk officer): its next version",
    description="Publishes KriRevised. The new version applies to what is counted from then "
    "on; alerts name the version that raised them.",
)
def revise_indicator(
    name: str, body: IndicatorRevisionIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.revise_indicator(
        actor,
        name,
        cmd.version,
        title=body.title,
        events=body.events,
        category=body.category,
        window_days=body.window_days,
        warning=body.warning,
        critical=body.critical,
    )
    return cmd.accepted(result)


class KriView(BaseModel):
    id: UUID
    version: int
    indicator: str
    scope: Scope
    scope_id: UUID = Field(description="The customer or project; a fixed id for the company")
    value: int
    band: Band
    as_of: datetime = Field(description="In the upstream events' time")
    next_expiry_at: datetime | None
    created_at: datetime
    updated_at: datetime


KRIS = ListQuery(
    "kris",
    filters=["indicator", "scope", "scope_id", "band"],
    sorts=["updated_at", "value", "as_of"],
    text=["indicator"],
    default_sort="-updated_at",
)


@router.get(
    "/kris",
    response_model=Page[KriView],
    tags=["monitoring"],
    summary="Each indicator's current value per customer, project or the company",
)
async def list_kris(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(KRIS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    indicator: Name | None = None,
    scope: Scope | None = None,
    scope_id: UUID | None = None,
    band: Band | None = None,
) -> Page[KriView]:
    require_reads_all(actor)
    where = {"indicator": indicator, "scope": scope, "scope_id": scope_id, "band": band}
    return await page_of(rt, KRIS, page, consistency, where, KriView)


class KriValue(BaseModel):
    version: int
    at: datetime
    value: int
    band: Band
    counted: str | None = Field(description="The upstream event counted")
    expired: list[str] = Field(description="Upstream events that fell out of the window")


@router.get(
    "/kris/{kri_id}/values",
    response_model=list[KriValue],
    tags=["monitoring"],
    summary="An indicator's values over time, for one scope",
)
async def kri_values(
    kri_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    since: Moment | None = None,
    until: Moment | None = None,
    min_version: MinVersion = None,
) -> list[KriValue]:
    require_reads_all(actor)
    await one_of(rt, "kris", kri_id, min_version, response)
    rows = await rt.pool.fetch(
        f'SELECT * FROM "{rt.settings.schema_name}".kri_values WHERE kri_id = $1 '
        "AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at <= $3) "
        "ORDER BY version",
        kri_id,
        since,
        until,
    )
    return [KriValue.model_validate({**dict(r), "expired": json.loads(r["expired"])}) for r in rows]


class AlertView(BaseModel):
    id: UUID
    version: int
    kri_id: UUID
    indicator: str
    kri_definition_version: int = Field(description="The indicator's version that raised it")
    scope: Scope
    scope_id: UUID
    category: Category
    threshold: Literal["warning", "critical"]
    threshold_value: int
    value: int
    at: datetime = Field(description="When it crossed, in the upstream events' time")
    cause: str = Field(description="The upstream event that took it across")
    risk_id: UUID = Field(description="The risk it raised or was linked to")
    state: Literal["active", "acknowledged"]
    acknowledged_by: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


ALERTS = ListQuery(
    "alerts",
    filters=["state", "indicator", "scope", "scope_id", "risk_id", "threshold", "kri_id"],
    sorts=["at", "created_at", "value"],
    text=["indicator", "cause"],
    default_sort="-at",
)


@router.get(
    "/alerts",
    response_model=Page[AlertView],
    tags=["monitoring"],
    summary="Alerts; `state=active` for those not yet acknowledged",
)
async def list_alerts(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(ALERTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: Literal["active", "acknowledged"] | None = None,
    indicator: Name | None = None,
    scope: Scope | None = None,
    scope_id: UUID | None = None,
    risk_id: UUID | None = None,
    threshold: Literal["warning", "critical"] | None = None,
    kri_id: UUID | None = None,
) -> Page[AlertView]:
    require_reads_all(actor)
    where = {
        "state": state,
        "indicator": indicator,
        "scope": scope,
        "scope_id": scope_id,
        "risk_id": risk_id,
        "threshold": threshold,
        "kri_id": kri_id,
    }
    return await page_of(rt, ALERTS, page, consistency, where, AlertView)


@router.get("/alerts/{alert_id}", response_model=AlertView, tags=["monitoring"])
async def get_alert(
    alert_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> AlertView:
    require_reads_all(actor)
    return AlertView.model_validate(
        dict(await one_of(rt, "alerts", alert_id, min_version, response))
    )


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(description="What the risk officer made of it")


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=Accepted,
    tags=["monitoring"],
    summary="Acknowledge an alert (risk officer): no longer active",
    description="Publishes AlertAcknowledged.",
)
def acknowledge(alert_id: UUID, body: AcknowledgeIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Alert, alert_id, lambda alert: alert.acknowledge(actor, body.note))
