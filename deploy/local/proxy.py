"""One origin locally, as in production: nginx from the machine's packages, started as a
process like PostgreSQL and Kafka, serving each service under /api/<service>/ exactly as the
prod Ingress routes it (deploy/generate.py `prod_ingress`: the prefix kept, the API told its
ROOT_PATH, so /api/<service>/docs finds its openapi.json), the one inbox (bizdev_common/
one_inbox.py) under /api/inbox, and a page that shows it (www/) at /.

Its configuration is written under the state folder from the service registry the launcher
reads, never from a list of its own. Standard library only, as the launcher."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from bizdev_common.settings import ServiceSettings

GATEWAY_PORT = 8000
"""Where `make up` serves the one origin: http://127.0.0.1:8000/api/<service>/."""
INBOX_PORT = 8090
"""The one inbox's own port under `make up`; clients use it through the gateway."""
WWW = Path(__file__).resolve().parent / "www"
UPLOAD_BYTES: int = ServiceSettings.model_fields["max_upload_bytes"].default
"""The services' own upload limit: they answer 413 themselves, with a problem, for what they
refuse; the proxy lets anything they might accept through."""


def root_path(service: str) -> str:
    """The prefix a service is served under, the same in production's Ingress."""
    return f"/api/{service}"


def behind_gateway(service: str) -> dict[str, str]:
    """A service's settings behind the gateway: its prefix, for its docs' links and
    `servers` (its routes answer with or without it)."""
    return {"root_path": root_path(service)}


def nginx_binary() -> str:
    # Debian puts it in /usr/sbin, which a user's PATH may lack.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise FileNotFoundError("no nginx: deploy/local/ensure-system.sh installs Debian's")
    return found


def config(folder: Path, port: int, services: Mapping[str, str], inbox: str, www: Path) -> str:
    """nginx's configuration: `services` and `inbox` are base URLs (http://127.0.0.1:8001)."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {folder / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    upstream = (
        "        proxy_http_version 1.1;\n"
        '        proxy_set_header Connection "";\n'
        "        proxy_set_header Host $http_host;\n"
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "        proxy_set_header X-Forwarded-Proto $scheme;\n"
    )
    # The prefix kept, as the Ingress's pathType Prefix does: no URI after the upstream.
    locations = "".join(
        f"    location {root_path(name)}/ {{\n        proxy_pass {base};\n{upstream}    }}\n"
        for name, base in sorted(services.items())
    )
    return f"""# Written by deploy/local/proxy.py for this state folder; edits are overwritten.
{user}worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include {_mime_types()};
    access_log {folder / "access.log"};
{temp}    client_max_body_size {UPLOAD_BYTES};
    server {{
    listen 127.0.0.1:{port};
{locations}    location = /api/inbox {{
        proxy_pass {inbox};
{upstream}    }}
    # The stream: each change as it comes, for as long as the client listens.
    location /api/inbox/ {{
        proxy_pass {inbox};
{upstream}        proxy_buffering off;
        proxy_read_timeout 1h;
    }}
    location / {{
        root {www};
        index inbox.html;
    }}
    }}
}}
"""


def _mime_types() -> str:
    for candidate in ("/etc/nginx/mime.types", "/usr/share/nginx/mime.types"):
        if Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("nginx's mime.types is missing: reinstall Debian's nginx")


class Gateway:
    """nginx in a folder of ours, in the foreground of its own process (the launcher stops it
    by its pid, as every other process)."""

    def __init__(
        self,
        state: Path,
        port: int,
        services: Mapping[str, str],
        inbox: str,
        www: Path = WWW,
    ) -> None:
        self.dir = state / "nginx"
        self.port = port
        self.services = dict(services)
        self.inbox = inbox
        self.www = www

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write(self) -> Path:
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(config(self.dir, self.port, self.services, self.inbox, self.www))
        return conf

    def start(self, timeout: float = 20.0) -> subprocess.Popen[bytes]:
        conf = self.write()
        nginx = nginx_binary()
        subprocess.run(
            [nginx, "-t", "-q", "-p", str(self.dir), "-c", str(conf)],
            check=True,
            stderr=subprocess.PIPE,
        )
        log = (self.dir / "nginx.log").open("ab")
        proc = subprocess.Popen(
            [nginx, "-p", str(self.dir), "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}: see {self.dir}")
            if time.monotonic() > deadline:
                proc.terminate()
                raise TimeoutError(f"nginx did not answer on {self.url} within {timeout:.0f}s")
            time.sleep(0.1)
        return proc

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def inbox_env(
    services: Mapping[str, str], kafka_bootstrap: str, port: int, host: str = "127.0.0.1"
) -> dict[str, str]:
    """The one inbox's environment: the services to ask, the topics' broker, its port."""
    return {
        "BIZDEV_INBOX_SERVICES": json.dumps(dict(sorted(services.items()))),
        "BIZDEV_INBOX_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "BIZDEV_INBOX_HTTP_HOST": host,
        "BIZDEV_INBOX_HTTP_PORT": str(port),
    }


def start_front(
    state: Path, ports: Mapping[str, int], kafka_bootstrap: str, env: Mapping[str, str]
) -> tuple[Gateway, list[subprocess.Popen[bytes]]]:
    """`make up`'s one origin: the one inbox and the gateway in front of `ports`' services
    (name: API port), as processes for the launcher to watch and stop."""
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    inbox = subprocess.Popen(
        ["bizdev-inbox"], env={**env, **inbox_env(bases, kafka_bootstrap, INBOX_PORT)}
    )
    gateway = Gateway(state, GATEWAY_PORT, bases, f"http://127.0.0.1:{INBOX_PORT}")
    try:
        return gateway, [inbox, gateway.start()]
    except BaseException:
        inbox.terminate()
        raise
