"""The documentation pages work without internet access: every script, style, icon and
document a page references is answered by the service itself.

The app is built as `create_app` builds it for each service; the docs need neither
PostgreSQL nor Kafka, so its lifespan does not run."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from bizdev_common import asyncapi, catalog
from bizdev_common.service import create_app
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[3]
PAGES = ("/docs", "/redoc", "/asyncapi")
BASE = "http://testserver"


class References(HTMLParser):
    """Every URL a page loads: scripts, stylesheets, icons, images, and the document the
    AsyncAPI viewer renders."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href", "spec-url"):
            value = a.get(key)
            if value and (tag != "link" or a.get("rel") in ("stylesheet", "icon", "shortcut icon")):
                self.urls.append(value)


def references(page: str) -> list[str]:
    parser = References()
    parser.feed(page)
    # Swagger UI is configured in an inline script: the OpenAPI document and OAuth2 redirect.
    parser.urls += re.findall(r"(?:url|oauth2RedirectUrl): '([^']+)'", page)
    return parser.urls


@pytest.fixture(scope="module", params=catalog.service_names(ROOT))
def client(request: pytest.FixtureRequest) -> TestClient:
    service = catalog.load(request.param)
    return TestClient(create_app(service.parts), base_url=BASE)


@pytest.mark.parametrize("page", PAGES)
def test_every_asset_of_a_docs_page_is_served_by_the_service(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    urls = references(answer.text)
    assert any(u.endswith(".js") for u in urls), f"{page} loads no script: {urls}"
    for url in urls:
        absolute = urljoin(f"{BASE}{page}", url)
        assert urlsplit(absolute).netloc == "testserver", f"{page} loads {url} from elsewhere"
        asset = client.get(absolute)
        assert asset.status_code == 200, f"{page}: {url} answered {asset.status_code}"
        assert asset.content, f"{page}: {url} is empty"
    assert not re.findall(r"https?://", answer.text), f"{page} names a remote address"


def test_the_asyncapi_page_renders_the_services_own_document(client: TestClient) -> None:
    urls = references(client.get("/asyncapi").text)
    assert "/asyncapi.json" in urls
    document = client.get("/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    assert any(ch["address"].endswith(".events.v1") for ch in document["channels"].values())


def csp(answer: Any) -> dict[str, list[str]]:
    policy = answer.headers["content-security-policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize("page", [*PAGES, "/docs/oauth2-redirect"])
def test_a_docs_page_passes_its_own_content_security_policy(client: TestClient, page: str) -> None:
    """What a browser would check: each inline script is allowed by its hash, every other
    script and stylesheet comes from the service itself, nothing runs from an attribute."""
    answer = client.get(page)
    policy = csp(answer)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    allowed = policy["script-src"]
    assert "'unsafe-inline'" not in allowed
    assert "'unsafe-eval'" not in allowed
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, f"{page}: an inline script the policy blocks"
    assert inline or page in ("/redoc", "/asyncapi"), f"{page}: expected its inline script"
    assert not re.search(r"\son[a-z]+\s*=", answer.text), f"{page}: an inline event handler"
    for url in references(answer.text):
        assert urlsplit(urljoin(f"{BASE}{page}", url)).netloc == "testserver"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_asyncapi_document_does_not_say_where_kafka_is(client: TestClient) -> None:
    document = client.get("/asyncapi.json")
    assert "127.0.0.1" not in document.text
    hosts = {s["host"] for s in document.json()["servers"].values()}
    assert hosts == {asyncapi.KAFKA_PLACEHOLDER}
