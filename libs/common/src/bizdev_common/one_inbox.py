"""One inbox for a frontend: `GET /api/inbox` answers what waits on the caller across every
service, and `GET /api/inbox/stream` (server-sent events) tells a client when that changed.

A composition, not a service: it owns no table, no event and no rule. It asks each service's
own `GET /inbox` with the caller's token (so each service's need-to-know stands as it is: no
privileged read exists to make), merges the pages in the order the services sort them
(inbox.py's `_order`) and prefixes each item's link with its service's path behind the gateway
(`/api/<service>`), where a frontend on the one origin calls it. A service that does not answer
is named in `missing` and the rest is answered.

The stream is fed by the services' Kafka topics: every event may change somebody's inbox (an
item is opened or settled by the events of any service, see inbox.py), so when a batch
arrives each open stream asks its caller's inbox again and sends it only if it changed, and
once more `settle_seconds` later, for the services whose views follow other services' topics
a moment after the event. Nothing is asked on a timer: a quiet system makes no call. A
browser's EventSource sends no Authorization header, so clients read the stream with
`fetch()` and a bearer token, as any other call (docs/frontend.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from pydantic import BaseModel, Field, ValidationError

from bizdev_common import errors, openapi
from bizdev_common.auth import CurrentActor, TokenVerifier
from bizdev_common.boundary import LIMIT_MAX, Name, PageParams, page_params
from bizdev_common.contract import topic_for
from bizdev_common.inbox import SORTS, InboxItem
from bizdev_common.readmodel import Page
from bizdev_common.service import unsafe_to_serve
from bizdev_common.settings import ServiceSettings, settings_for

log = logging.getLogger(__name__)

PATH = "/api/inbox"
"""Where the gateway serves it: beside the services' /api/<service>/, on the same origin."""


class InboxSettings(ServiceSettings):
    """BIZDEV_INBOX_*: the services to ask, and the same token settings as theirs."""

    service: str = "inbox"
    http_port: int = 8090
    services: dict[str, str] = Field(
        default_factory=dict,
        description="Each service's API base URL by name (JSON), e.g. "
        '{"projects": "http://127.0.0.1:8001"}: `make up` and the manifests set it from the '
        "service registry",
    )
    call_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long one service's /inbox may take before it is missing"
    )
    settle_seconds: float = Field(
        default=1.0,
        ge=0,
        description="After a batch of events, a stream asks again this much later: a service's "
        "views of other services' topics follow the event a moment after it",
    )
    keepalive_seconds: float = Field(
        default=15.0, gt=0, description="A comment line on a quiet stream, so proxies keep it"
    )


# --- the merged page ----------------------------------------------------------------------


class ServiceInboxItem(InboxItem):
    service: str = Field(description="The service it waits in")


class Missing(BaseModel):
    service: str
    status: int | None = Field(description="Its HTTP status, or null when it did not answer")
    detail: str


class MergedInbox(Page[ServiceInboxItem]):
    missing: list[Missing] = Field(
        description="Services whose items are not in this answer (down, or refusing): the rest are"
    )


@dataclass(frozen=True)
class Answer:
    """One service's answer to its `/inbox`: a page, or why there is none."""

    service: str
    page: Page[InboxItem] | None = None
    missing: Missing | None = None
    foreign_kind: bool = False
    """It has no items of the kind asked for: a kind is one service's (each lists its own)."""


def gateway_link(service: str, link: str) -> str:
    """A service's link as the one origin serves it (the prod Ingress's /api/<service>/)."""
    return f"/api/{service}{link}"


def sort_items(items: Sequence[ServiceInboxItem], sort: str | None) -> list[ServiceInboxItem]:
    """inbox.py's order across services: the column (`-column` descending), no due time
    last either way, then waiting longest, then record, kind and item; the service last."""
    sort = sort or "due_at"
    column = sort.lstrip("-")
    if column not in SORTS:
        raise ValueError(f"cannot sort the inbox by {column!r}")
    ties = sorted(items, key=lambda i: (i.since, i.record_id, i.kind, i.item, i.service))
    valued = [i for i in ties if getattr(i, column) is not None]
    unvalued = [i for i in ties if getattr(i, column) is None]
    valued.sort(key=lambda i: getattr(i, column), reverse=sort.startswith("-"))
    return valued + unvalued


def merge(answers: Sequence[Answer], sort: str | None, limit: int, offset: int) -> MergedInbox:
    """The page `offset`..`offset + limit` of every answer's items in one order; each answer
    must hold its service's first `offset + limit` items."""
    items = [
        ServiceInboxItem(
            **item.model_dump(exclude={"link"}),
            link=gateway_link(a.service, item.link),
            service=a.service,
        )
        for a in answers
        if a.page is not None
        for item in a.page.items
    ]
    pages = [a.page for a in answers if a.page is not None]
    return MergedInbox(
        items=sort_items(items, sort)[offset : offset + limit],
        total=sum(p.total for p in pages),
        total_estimated=any(p.total_estimated for p in pages),
        limit=limit,
        offset=offset,
        missing=[a.missing for a in answers if a.missing is not None],
    )


# --- asking the services --------------------------------------------------------------------


class Metrics:
    """What /metrics shows: the calls made to each service, and the streams open."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "bizdev_inbox_service_calls",
            "Calls to a service's /inbox, by whether it answered",
            ["service", "outcome"],
            registry=self.registry,
        )
        self.streams = Gauge("bizdev_inbox_streams", "Streams open", registry=self.registry)


@dataclass(frozen=True)
class Filters:
    """The query of one merged inbox, as each service's /inbox takes it."""

    page: PageParams
    kind: str | None
    overdue: bool | None
    record_id: UUID | None

    def service_query(self) -> dict[str, str]:
        """Each service's first `offset + limit` items: the merged page is cut from them."""
        query = {"limit": str(self.page.offset + self.page.limit), "offset": "0"}
        if self.page.sort:
            query["sort"] = self.page.sort
        if self.page.q:
            query["q"] = self.page.q
        if self.kind is not None:
            query["kind"] = self.kind
        if self.overdue is not None:
            query["overdue"] = "true" if self.overdue else "false"
        if self.record_id is not None:
            query["record_id"] = str(self.record_id)
        return query


class UnknownKind(Exception):
    """No service has items of the kind asked for."""


def _rejects_kind(response: httpx.Response) -> bool:
    """A 422 on `kind` alone: the kind is another service's."""
    if response.status_code != 422:
        return False
    with contextlib.suppress(ValueError, KeyError, TypeError):
        fields = {e["field"] for e in response.json()["errors"]}
        return fields == {"query.kind"}
    return False


async def ask(
    client: httpx.AsyncClient, service: str, base: str, authorization: str, filters: Filters
) -> Answer:
    try:
        response = await client.get(
            f"{base}/inbox",
            params=filters.service_query(),
            headers={"Authorization": authorization},
        )
    except httpx.HTTPError as e:
        return Answer(service, missing=Missing(service=service, status=None, detail=_why(e)))
    if filters.kind is not None and _rejects_kind(response):
        empty = Page[InboxItem](items=[], total=0, limit=filters.page.limit, offset=0)
        return Answer(service, page=empty, foreign_kind=True)
    if response.status_code != 200:
        detail = _problem_detail(response)
        return Answer(
            service, missing=Missing(service=service, status=response.status_code, detail=detail)
        )
    try:
        page = Page[InboxItem].model_validate_json(response.content)
    except ValidationError:
        detail = "its answer is not an inbox page"
        return Answer(service, missing=Missing(service=service, status=200, detail=detail))
    return Answer(service, page=page)


def _why(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "it did not answer in time"
    return f"it cannot be reached ({type(error).__name__})"


def _problem_detail(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        return str(response.json()["detail"])
    return f"it answered {response.status_code}"


async def compose(
    client: httpx.AsyncClient,
    services: Mapping[str, str],
    authorization: str,
    filters: Filters,
    metrics: Metrics | None = None,
) -> MergedInbox:
    answers = await asyncio.gather(
        *(ask(client, name, base, authorization, filters) for name, base in services.items())
    )
    if metrics is not None:
        for a in answers:
            metrics.calls.labels(a.service, "missing" if a.missing else "answered").inc()
    if filters.kind is not None and all(a.foreign_kind for a in answers):
        raise UnknownKind(filters.kind)
    return merge(answers, filters.page.sort, filters.page.limit, filters.page.offset)


# --- what the topics say --------------------------------------------------------------------


class Changes:
    """A count of the batches of events seen, which streams wait to pass: every event may
    change somebody's inbox, and which one only the services know."""

    def __init__(self) -> None:
        self.seen = 0
        self._moved = asyncio.Condition()

    async def note(self) -> None:
        async with self._moved:
            self.seen += 1
            self._moved.notify_all()

    async def past(self, seen: int) -> int:
        async with self._moved:
            await self._moved.wait_for(lambda: self.seen > seen)
            return self.seen


async def follow(
    settings: InboxSettings, changes: Changes, following: Callable[[bool], None]
) -> None:
    """Notes each batch of events on the services' topics, and once more `settle_seconds`
    later. Reads from the end, in no consumer group: every replica sees every event, and
    none is read twice nor committed. Retries until Kafka answers."""
    topics = [topic_for(name) for name in settings.services]
    pending: set[asyncio.Task[None]] = set()

    async def settle() -> None:
        await asyncio.sleep(settings.settle_seconds)
        await changes.note()

    while True:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id=f"bizdev-inbox-{socket.gethostname()}",
            metadata_max_age_ms=5000,  # a topic created after the start is followed soon
        )
        try:
            await consumer.start()
            following(True)
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                if any(batch.values()):
                    await changes.note()
                    task = asyncio.create_task(settle())
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - whatever Kafka says, it is tried again
            following(False)
            log.warning("following the topics failed (%s); again in 2 s", e)
            await asyncio.sleep(2)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


# --- the app --------------------------------------------------------------------------------

_pages = page_params("inbox", SORTS, cursor=False)


async def _filters(
    page: Annotated[PageParams, Depends(_pages)],
    kind: Annotated[Name | None, Query(description="Only items of this kind")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue items, or only others")] = None,
    record_id: Annotated[
        UUID | None, Query(description="Only items about this record: does it wait on me?")
    ] = None,
) -> Filters:
    if page.offset + page.limit > LIMIT_MAX:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "offset"),
                    "msg": f"the merged inbox reaches {LIMIT_MAX} items deep: offset + limit "
                    f"at most {LIMIT_MAX}",
                    "type": "value_error",
                }
            ]
        )
    return Filters(page, kind, overdue, record_id)


FiltersDep = Annotated[Filters, Depends(_filters)]


def create_app(settings: InboxSettings) -> FastAPI:
    if not settings.services:
        raise ValueError("BIZDEV_INBOX_SERVICES names no service to ask")
    state: dict[str, bool] = {"following": False}
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.changes = Changes()
        app.state.client = httpx.AsyncClient(timeout=settings.call_timeout_seconds)
        following = asyncio.create_task(
            follow(settings, app.state.changes, lambda now: state.update(following=now))
        )
        try:
            yield
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            await app.state.client.aclose()

    app = FastAPI(
        title="bizdev inbox",
        description=__doc__,
        version="1",
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.verifier = TokenVerifier(settings)
    errors.install(app)

    async def answer(request: Request, filters: Filters) -> MergedInbox:
        try:
            return await compose(
                request.app.state.client,
                settings.services,
                request.headers["authorization"],
                filters,
                metrics,
            )
        except UnknownKind as e:
            raise RequestValidationError(
                [
                    {
                        "loc": ("query", "kind"),
                        "msg": f"no service has items of kind {e}",
                        "type": "value_error",
                    }
                ]
            ) from None

    @app.get(PATH, tags=["inbox"], summary="What waits on me, in every service")
    async def merged_inbox(
        actor: CurrentActor, request: Request, filters: FiltersDep
    ) -> MergedInbox:
        return await answer(request, filters)

    @app.get(
        f"{PATH}/stream",
        tags=["inbox"],
        summary="My inbox now and whenever it changes (server-sent events)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def inbox_stream(
        actor: CurrentActor, request: Request, filters: FiltersDep
    ) -> StreamingResponse:
        first = await answer(request, filters)
        changes: Changes = request.app.state.changes

        async def events() -> AsyncIterator[str]:
            seen = changes.seen
            last = first.model_dump_json()
            yield _event("inbox", last)
            with metrics.streams.track_inprogress():
                async for event in changed(seen, last):
                    yield event

        async def changed(seen: int, last: str) -> AsyncIterator[str]:
            while True:
                try:
                    seen = await asyncio.wait_for(changes.past(seen), settings.keepalive_seconds)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                inbox = await answer(request, filters)
                if {m.service for m in inbox.missing if m.status == 401} == set(settings.services):
                    # The token has expired: the client connects again with a new one.
                    return
                now = inbox.model_dump_json()
                if now != last:
                    last = now
                    yield _event("inbox", now)

        # Not buffered by a proxy (nginx honours the header), nor cached.
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        openapi_extra={"security": []},
    )
    async def metrics_text() -> PlainTextResponse:
        body = generate_latest(metrics.registry)
        return PlainTextResponse(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["operations"], summary="Alive", openapi_extra={"security": []})
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Following the services' topics",
        openapi_extra={"security": []},
    )
    async def readyz() -> JSONResponse:
        ready = state["following"]
        body = {"ready": ready, "services": sorted(settings.services)}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


def run() -> None:
    """`bizdev-inbox`: the composition's process, configured by BIZDEV_INBOX_*."""
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per call to a service
    s = settings_for(InboxSettings, "inbox")
    if (refusal := unsafe_to_serve(s)) is not None:
        raise SystemExit(refusal)
    uvicorn.run(
        create_app(s),
        host=s.http_host,
        port=s.http_port,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=int(s.shutdown_timeout_seconds),
        timeout_keep_alive=s.http_keep_alive_seconds,
    )
