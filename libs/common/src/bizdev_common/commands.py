"""How a route written as a plain `def` runs: commands are, because the event store
(eventsourcing's PostgreSQL recorder, psycopg) blocks.

FastAPI would run such a route in a worker thread and, once it returned, hop to a thread again
to validate its answer, each hop a hand-off between the event loop and a thread that costs more
CPU than the command's own Python. `CommandRoute` makes the route `async` and runs the command
and its answer's serialisation in one hop to the API process's command threads
(`CommandThreads`, `command_concurrency` of them): the saves queue on the events table's lock
anyway, and more of them waiting in threads only costs switching, so more clients never means
fewer commands.

Every router of a service's API is an `APIRouter(route_class=CommandRoute)`; `async def`
routes (queries) are left as they are. The OpenAPI document is the same as FastAPI would make
of the plain `def`."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_return_annotation, get_typed_signature
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code

# Names a route's own parameters cannot take (FastAPI would reject the leading underscore
# in a query name otherwise shown; these are never shown: requests and responses are not).
_REQUEST = "_command_request"
_RESPONSE = "_command_response"


T = TypeVar("T")

_Job = tuple[
    asyncio.AbstractEventLoop,
    asyncio.Future[Any],
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
]


class CommandThreads:
    """The process's command slots: `size` threads, each running one command at a time, fed
    from one queue, so that no more than `size` commands run at once and the rest wait their
    turn in the queue.

    Rather than anyio's worker threads (`to_thread.run_sync` with a capacity limiter): a hop
    there took a limiter's token, a cancel scope, a look-up of the running backend and a
    `queue.Queue` hand-off under a Python-level condition; at 8 clients that was a sixth of
    the API process's GIL time (py-spy), as much as the command's own Python. Here a hop is a
    put on a C queue and the answer's `call_soon_threadsafe`.

    A command runs to its end once taken, whatever becomes of the request that waits for it:
    its events are committed or not, never half. `close` waits for the ones queued."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"command-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in one of the threads, in the caller's context (its correlation id,
        its idempotency key)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, done, contextvars.copy_context(), fn, args))
        return await done

    def close(self) -> None:
        """Lets the threads finish the commands queued, then stop."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, done, context, fn, args = job
            result, error = None, None
            try:
                result = context.run(fn, *args)
            except BaseException as e:  # noqa: BLE001 - the awaiting request raises it
                error = e
            # A loop closed meanwhile has nobody waiting for the answer; the thread goes on.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, done, result, error)


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is None:
        done.set_result(result)
    else:
        done.set_exception(error)


def command_threads(request: Request) -> CommandThreads:
    """The process's command threads, made at startup (service.py)."""
    threads: CommandThreads = request.app.state.command_threads
    return threads


class CommandRoute(APIRoute):
    """A route whose endpoint is a plain function runs it, and serialises its answer, in one
    of the process's command threads."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if _blocking(endpoint):
            endpoint = self._in_one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def _in_one_hop(self, command: Callable[..., Any]) -> Callable[..., Any]:
        signature = get_typed_signature(command)
        params = list(signature.parameters.values())
        request = _named(params, Request)
        response = _named(params, Response)
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind)
            for name, kind, given in ((_REQUEST, Request, request), (_RESPONSE, Response, response))
            if given is None
        ]
        request_name, response_name = request or _REQUEST, response or _RESPONSE

        async def endpoint(**values: Any) -> Any:
            threads = command_threads(values[request_name])
            if request is None:
                del values[_REQUEST]
            return await threads.run(self._answer, command, values, values[response_name])

        # FastAPI reads the route's name, docs and parameters from the endpoint: the same as
        # the command's, with the request and response it needs (neither documented).
        endpoint.__name__ = command.__name__
        endpoint.__qualname__ = command.__qualname__
        endpoint.__doc__ = command.__doc__
        endpoint.__module__ = command.__module__
        endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*params, *extra],
            return_annotation=get_typed_return_annotation(command) or inspect.Signature.empty,
        )
        return endpoint

    def _answer(
        self, command: Callable[..., Any], values: dict[str, Any], sub: Response
    ) -> Response:
        """The command's answer as FastAPI would make it of what the command returned
        (fastapi.routing.get_request_handler): validated against the response model,
        serialised, with the status and headers the command set on its Response."""
        values.pop(_RESPONSE, None)
        content = command(**values)
        if isinstance(content, Response):
            return content
        status = sub.status_code or self.status_code
        args: dict[str, Any] = {} if status is None else {"status_code": status}
        field = self.response_field
        default_class = isinstance(self.response_class, DefaultPlaceholder)
        response: Response
        if field is None:
            payload = jsonable_encoder(content)
        else:
            value, errors = field.validate(content, {}, loc=("response",))
            if errors:
                raise ResponseValidationError(errors=errors, body=content)
            serialize = field.serialize_json if default_class else field.serialize
            payload = serialize(
                value,
                include=self.response_model_include,
                exclude=self.response_model_exclude,
                by_alias=self.response_model_by_alias,
                exclude_unset=self.response_model_exclude_unset,
                exclude_defaults=self.response_model_exclude_defaults,
                exclude_none=self.response_model_exclude_none,
            )
        if field is not None and default_class:
            response = Response(payload, media_type="application/json", **args)
        else:
            cls = self.response_class
            response_class = cls.value if isinstance(cls, DefaultPlaceholder) else cls
            response = response_class(payload, **args)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(sub.headers.raw)
        return response


def _blocking(endpoint: Callable[..., Any]) -> bool:
    return inspect.isfunction(endpoint) and not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )


def _named(params: list[inspect.Parameter], kind: type) -> str | None:
    """The name of the parameter FastAPI gives the request (or response) to, if any."""
    return next(
        (
            p.name
            for p in params
            if isinstance(p.annotation, type) and issubclass(p.annotation, kind)
        ),
        None,
    )
