"""The one origin's nginx configuration (deploy/local/proxy.py), as `make up` writes it from
the service registry: nginx itself accepts it, and it routes every service under its prefix
with the prefix kept, as the prod Ingress does, and the one inbox beside them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402
import proxy  # noqa: E402


def test_every_service_is_routed_under_its_prefix_with_the_prefix_kept(tmp_path: Path) -> None:
    registry = launcher.services()
    bases = {n: f"http://127.0.0.1:{s.port}" for n, s in registry.items()}
    gateway = proxy.Gateway(tmp_path, 8000, bases, "http://127.0.0.1:8090")
    text = gateway.write().read_text()
    routed = dict(re.findall(r"location (/api/\w+/) \{\s*proxy_pass (\S+);", text))
    # No URI after the upstream: nginx passes the request's path whole, prefix and all.
    services = {f"/api/{n}/": base for n, base in bases.items()}
    assert routed == services | {"/api/inbox/": "http://127.0.0.1:8090"}
    assert "location = /api/inbox {" in text
    assert "proxy_buffering off" in text.split("location /api/inbox/")[1]


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    try:
        nginx = proxy.nginx_binary()
    except FileNotFoundError:
        pytest.skip("no nginx here: deploy/local/ensure-system.sh installs it")
    bases = {n: f"http://127.0.0.1:{s.port}" for n, s in launcher.services().items()}
    conf = proxy.Gateway(tmp_path, 8000, bases, "http://127.0.0.1:8090").write()
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_each_service_is_told_the_prefix_the_gateway_keeps() -> None:
    for name in launcher.services():
        assert proxy.behind_gateway(name) == {"root_path": f"/api/{name}"}
