"""One origin and one inbox, as a frontend sees them (issue 21): nginx from the machine's
packages in front of real services, as `make up` runs it; the one inbox following the real
Kafka topics; and a real browser (Debian's Chromium, headless, driven by playwright) showing
the page the gateway serves. An item a colleague's submission puts in the caller's inbox is on
the page within 2 s, while the services get no /inbox call from anyone as long as nothing
happens: the page learns of the change from the stream, which the topics feed."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from .conftest import ROOT, Infra, ServiceProcess
from .flows import People, ok

sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher
import proxy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVED = ("projects", "crm")


@pytest.fixture(scope="module")
def services(start_service: Callable[..., ServiceProcess]) -> dict[str, ServiceProcess]:
    """Two services behind the gateway, told their prefix as `make up` tells them."""
    return {name: start_service(name, root_path=proxy.root_path(name)) for name in SERVED}


@pytest.fixture(scope="module")
def dead_service() -> str:
    """Records, down: a port nothing listens on."""
    return f"http://127.0.0.1:{launcher.free_port()}"


@pytest.fixture(scope="module")
def one_inbox(
    services: dict[str, ServiceProcess], dead_service: str, infra: Infra, logs: Path
) -> Iterator[str]:
    port = launcher.free_port()
    bases = {name: svc.url for name, svc in services.items()} | {"records": dead_service}
    env = {**os.environ, **proxy.inbox_env(bases, infra.kafka_bootstrap, port)}
    script = Path(sys.executable).parent / "bizdev-inbox"
    with (logs / "inbox.log").open("ab") as log:
        proc = subprocess.Popen([str(script)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine imports slowly
        while not _ready(url):
            assert proc.poll() is None, f"bizdev-inbox exited: see {logs / 'inbox.log'}"
            assert time.monotonic() < deadline, "bizdev-inbox never followed the topics"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def gateway(
    services: dict[str, ServiceProcess],
    dead_service: str,
    one_inbox: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    bases = {name: svc.url for name, svc in services.items()} | {"records": dead_service}
    nginx = proxy.Gateway(
        tmp_path_factory.mktemp("gateway"), launcher.free_port(), bases, one_inbox
    )
    proc = nginx.start()
    try:
        yield nginx.url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def inbox_calls(services: dict[str, ServiceProcess]) -> dict[str, float]:
    """How many /inbox requests each service has answered, from its own /metrics."""
    counts = {}
    async with httpx.AsyncClient() as client:
        for name, svc in services.items():
            text = (await client.get(f"{svc.url}/metrics")).text
            counts[name] = sum(
                float(m.group(1))
                for m in re.finditer(
                    r'^http_requests_total\{[^}]*route="/inbox"[^}]*\} (\S+)$', text, re.M
                )
            )
    return counts


async def test_the_gateway_routes_each_service_under_its_prefix_with_its_docs(
    gateway: str, services: dict[str, ServiceProcess]
) -> None:
    people = People()
    async with httpx.AsyncClient(base_url=gateway) as client:
        drafted = await ok(
            await client.post(
                "/api/projects/applications",
                json={
                    "title": "One origin",
                    "background": "Frontends call one host",
                    "target_customers": "Our own developers",
                    "expected_revenue": {"amount": "1.00", "currency": "CNY"},
                    "preliminary_plan": "nginx in front",
                },
                headers=people.applicant,
            ),
            201,
        )
        assert drafted["id"]
        docs = await client.get("/api/crm/docs")
        assert docs.status_code == 200
        assert "/api/crm/openapi.json" in docs.text
        document = await ok(await client.get("/api/crm/openapi.json"))
        assert document["servers"][0]["url"] == "/api/crm"
        down = await client.get("/api/records/healthz")
        assert down.status_code == 502  # as an Ingress answers for a backend that is down
        refused = await client.get("/api/inbox")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"


async def test_the_page_shows_a_new_item_within_two_seconds_without_polling(
    gateway: str, services: dict[str, ServiceProcess], browser: Browser
) -> None:
    people = People()
    token = people.head["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=gateway) as client:
        drafted = await ok(
            await client.post(
                "/api/projects/applications",
                json={
                    "title": "Inbox on one page",
                    "background": "Six inboxes are five too many",
                    "target_customers": "Department heads",
                    "expected_revenue": {"amount": "2.00", "currency": "CNY"},
                    "preliminary_plan": "Merge them",
                },
                headers=people.applicant,
            ),
            201,
        )
        page = await browser.new_page()
        await page.goto(f"{gateway}/#token={token}")
        await page.wait_for_selector("#status:has-text('up to date')", timeout=10_000)
        assert await page.locator("#items li").count() == 0  # a fresh head: nothing waits
        assert "records" in await page.locator("#missing").inner_text()

        # Quiet: neither the page nor the inbox asks any service anything.
        before = await inbox_calls(services)
        await asyncio.sleep(3)
        assert await inbox_calls(services) == before

        submitted = await client.post(
            f"/api/projects/applications/{drafted['id']}/submit", headers=people.applicant
        )
        started = time.monotonic()
        await ok(submitted)
        item = page.locator(f"#items li[data-record='{drafted['id']}']")
        await item.wait_for(timeout=2_000)
        elapsed = time.monotonic() - started
        print(f"the new item was on the page {elapsed:.2f} s after the submission")
    assert elapsed < 2.0, f"shown after {elapsed:.2f} s"
    link = await item.locator("a").get_attribute("href")
    assert link is not None
    assert link.startswith(f"/api/projects/applications/{drafted['id']}")
    assert "'Inbox on one page'" in await item.locator("a").inner_text()
