"""A service refuses to start when the environment asks the eventsourcing library for what
the outbox relay cannot read: database functions, a cipher, a compressor, another recorder."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bizdev_common.eventstore import (
    ServiceApplication,
    UnsafeEnvironment,
    check_library_environment,
)
from bizdev_common.settings import ServiceSettings


@pytest.mark.parametrize(
    "variable",
    [
        "POSTGRES_ENABLE_DB_FUNCTIONS",
        "PROJECTS_POSTGRES_ENABLE_DB_FUNCTIONS",
        "CIPHER_KEY",
        "PROJECTS_CIPHER_TOPIC",
        "COMPRESSOR_TOPIC",
        "PROJECTS_PERSISTENCE_MODULE",
        "TRANSCODER_TOPIC",
        "PROCESS_RECORDER_TOPIC",
    ],
)
def test_refused_under_its_own_name_or_prefixed_with_the_application(variable: str) -> None:
    value = "yes" if variable.endswith("DB_FUNCTIONS") else "eventsourcing.cipher:AESCipher"
    with pytest.raises(UnsafeEnvironment) as refused:
        check_library_environment("projects", {variable: value})
    assert variable in str(refused.value)
    assert value not in str(refused.value)  # a key is never echoed into a log


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"POSTGRES_ENABLE_DB_FUNCTIONS": "no"},
        {"PROJECTS_POSTGRES_ENABLE_DB_FUNCTIONS": "off", "CIPHER_KEY": ""},
        {"CRM_CIPHER_KEY": "another application's"},
        {"POSTGRES_USER": "someone", "PROJECTS_POSTGRES_SCHEMA": "elsewhere"},
    ],
)
def test_harmless_settings_are_accepted(environ: dict[str, str]) -> None:
    check_library_environment("projects", environ)


def test_the_application_refuses_before_touching_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Projects(ServiceApplication):
        name = "projects"

    monkeypatch.setenv("PROJECTS_POSTGRES_ENABLE_DB_FUNCTIONS", "y")
    settings = ServiceSettings(service="projects", database_url="postgresql://nobody@127.0.0.1:9/x")
    with pytest.raises(UnsafeEnvironment):
        Projects(settings)


def test_the_process_environment_never_overrides_the_store_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Projects(ServiceApplication):
        name = "projects"

    monkeypatch.setenv("PROJECTS_POSTGRES_SCHEMA", "elsewhere")
    monkeypatch.setenv("POSTGRES_SCHEMA", "elsewhere")
    env = Projects.construct_env(Projects.__new__(Projects), "projects", {"POSTGRES_SCHEMA": "p"})
    assert env.get("POSTGRES_SCHEMA") == "p"


@pytest.mark.parametrize("role", ["api", "worker"])
def test_the_console_script_exits_non_zero_with_the_reason(role: str) -> None:
    script = (
        "import os; os.environ['CIPHER_TOPIC'] = 'eventsourcing.cipher:AESCipher'\n"
        "from bizdev_projects.main import run; run()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, role],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "refusing to start: CIPHER_TOPIC" in done.stderr
