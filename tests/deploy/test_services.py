"""A service is its folder: every folder under services/ is found by the one list
(deploy/local/launcher.py `services()`, from services/*/pyproject.toml), and everything that
deploys or installs the services follows that list, so a new folder missing from any of them
fails here."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402
from bizdev_common.process import MODULES  # noqa: E402

FOLDERS = sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir())


def test_every_folder_under_services_is_a_registered_service() -> None:
    assert FOLDERS, "no services"
    assert sorted(launcher.services()) == FOLDERS


@pytest.mark.parametrize("name", FOLDERS)
def test_a_service_folder_has_the_module_set(name: str) -> None:
    package = ROOT / "services" / name / "src" / f"bizdev_{name}"
    for module in MODULES:
        assert (package / f"{module}.py").is_file() or (package / module).is_dir(), (
            f"services/{name}: no {module}"
        )
    project = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
    assert project["project"]["name"] == f"bizdev-{name}"


def test_the_generated_deployment_is_current() -> None:
    """Kubernetes components, the base's and the local overlay's lists, and compose's services
    are what deploy/generate.py makes from the list: run `make manifests` after a change."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_workspace_takes_every_service_without_naming_it() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "services/*" in root["tool"]["uv"]["workspace"]["members"]
    named = [d for d in root["project"]["dependencies"] if d.startswith("bizdev-")]
    assert named == ["bizdev-common"], "services are workspace members, not named dependencies"
    assert "mypy_path" not in root["tool"]["mypy"], "mypy finds services from `services/*/src`"
    makefile = (ROOT / "Makefile").read_text()
    assert "--all-packages" in makefile
    assert "services/*/src" in makefile


def test_one_dockerfile_builds_every_service() -> None:
    assert not list((ROOT / "services").glob("*/Dockerfile")), "one Dockerfile, at the root"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG SERVICE" in dockerfile
    assert '--package "bizdev-${SERVICE}"' in dockerfile
