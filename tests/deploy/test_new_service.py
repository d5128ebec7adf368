"""The recipe (docs/adding-a-service.md) works as written: in a copy of the repository,
`bizdev new-service` writes a service, whose own tests pass, which the registry finds, for
which `make manifests` and `make contracts` generate their files (the generators import
every service); and the copy goes. Slow on a loaded machine (each step imports every
service): a minute or so on an idle one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bizdev_common.process import MODULES, services

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NAME = "ledger"


def copy_of_the_repository(target: Path) -> Path:
    """The files git tracks, as they are in the working tree (no build output, no data)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


def run(copy: Path, *command: str) -> str:
    """A step of the recipe in the copy, the new package importable as `uv sync` would make
    it (the environment here is the repository's, which must not change)."""
    env = {**os.environ, "PYTHONPATH": str(copy / "services" / NAME / "src")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        command, cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_service_made_by_the_recipe_passes_its_tests_and_the_deploy_checks(
    tmp_path: Path,
) -> None:
    copy = copy_of_the_repository(tmp_path / "repo")
    before = services(copy)
    assert NAME not in before

    written = run(copy, str(BIN / "bizdev"), "new-service", NAME, "--root", str(copy))
    assert f"services/{NAME}/pyproject.toml" in written
    found = services(copy)
    assert set(found) == {*before, NAME}
    assert found[NAME].port not in {p for s in before.values() for p in (s.port, s.worker_port)}

    python = sys.executable
    run(copy, python, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"services/{NAME}/tests")
    run(copy, python, "-m", "ruff", "check", f"services/{NAME}")
    run(copy, python, "deploy/generate.py")
    assert (copy / "deploy" / "k8s" / "components" / NAME).is_dir()
    run(copy, str(BIN / "bizdev-contracts"), "generate")
    assert list((copy / "contracts").glob(f"*{NAME}*"))
    package = copy / "services" / NAME / "src" / f"bizdev_{NAME}"
    for module in MODULES:
        assert (package / f"{module}.py").is_file() or (package / module).is_dir(), module

    shutil.rmtree(copy)
    assert not copy.exists()
