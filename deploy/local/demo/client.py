"""The services' APIs as the demo's people call them: each command with an Idempotency-Key
derived from what it says, each read as a person whose roles may read it."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx
import launcher  # deploy/local, where this package sits, is on the path
from bizdev_common import days

from .people import STAFF


class DemoError(Exception):
    """A step the services refused, or a reaction that did not come."""


class Service:
    """One service's API as the demo's people call it."""

    def __init__(self, name: str, url: str, demo: Demo) -> None:
        self.name = name
        self.http = httpx.Client(base_url=url, timeout=30)
        self.demo = demo

    def command(
        self, method: str, path: str, who: str, body: object = None, **kw: Any
    ) -> dict[str, Any]:
        self.demo.commands += 1
        # The same command of the story (who, what, on which record, with what) has the same
        # key in every run; no two commands of the story are alike.
        said = json.dumps([method, path, body, kw.get("params")], sort_keys=True)
        key = "bizdev-demo-" + hashlib.sha256(said.encode()).hexdigest()[:40]
        r = self.http.request(
            method,
            path,
            json=body,
            headers={**self.demo.auth(who), "Idempotency-Key": key, **kw.pop("headers", {})},
            **kw,
        )
        if r.status_code >= 300:
            raise DemoError(
                f"{self.name}: {who} {method} {path} answered {r.status_code}: {r.text}"
            )
        answer: dict[str, Any] = r.json()
        return answer

    def post(self, path: str, who: str, body: object = None) -> dict[str, Any]:
        return self.command("POST", path, who, body)

    def get(self, path: str, who: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=self.demo.auth(who))
        if r.status_code != 200:
            raise DemoError(f"{self.name}: {who} GET {path} answered {r.status_code}: {r.text}")
        return r.json()

    def seen(self, path: str, who: str, accepted: Mapping[str, Any]) -> Any:
        """A record once its view shows the version a command answered (read your writes)."""
        return self.get(path, who, min_version=accepted["version"])

    def listed(self, path: str, who: str, accepted: Mapping[str, Any], **params: Any) -> Any:
        return self.get(
            path, who, wait_for=accepted["id"], min_version=accepted["version"], **params
        )

    def until(
        self,
        what: str,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool] = bool,
        within: float = 90.0,
    ) -> Any:
        """Waits for another service's reaction to show here: asks until it does."""
        deadline = time.monotonic() + within
        while True:
            value = fetch()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"{self.name}: {what} did not happen within {within:.0f}s")
            time.sleep(0.3)

    def items(self, path: str, who: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.get(path, who, **params)["items"])


class Demo:
    def __init__(self, urls: Mapping[str, str], secret: str, out: Callable[[str], None]) -> None:
        self.secret = secret
        # The company's day, as the services reckon it (`make up` runs them in this zone),
        # not UTC's: from 16:00 UTC on, Shanghai is a day ahead, and an invoice issued
        # "today" by finance would fall after a payment dated UTC's today.
        zone = days.zone_named(os.environ.get(days.VARIABLE, launcher.DEMO_TIME_ZONE))
        self.say = out
        self.commands = 0
        self.tokens = {p.user_id: p.token(secret) for p in STAFF}
        self.people = {p.user_id: p for p in STAFF}
        self.projects = Service("projects", urls["projects"], self)
        self.crm = Service("crm", urls["crm"], self)
        self.finance = Service("finance", urls["finance"], self)
        self.risk = Service("risk", urls["risk"], self)
        self.performance = Service("performance", urls["performance"], self)
        self.records = Service("records", urls["records"], self)
        self.today = datetime.now(zone).date()
        self.made: dict[str, Any] = {}

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}
