"""The registry a service is started from is its folder, and a started service's environment
is its own variables over the caller's."""

from __future__ import annotations

from pathlib import Path

import pytest
from bizdev_common.process import ServiceProcess, services
from bizdev_common.scaffold import free_port, new_service

MANIFEST = """
[project]
name = "bizdev-{name}"
[project.scripts]
bizdev-{name} = "{script}"
[tool.bizdev]
port = {port}
secret-files = {{ KEY_FILE = "{name}-key" }}
"""


def service_folder(root: Path, name: str, port: int, script: str = "") -> None:
    folder = root / "services" / name
    folder.mkdir(parents=True)
    manifest = MANIFEST.format(name=name, port=port, script=script or f"bizdev_{name}.main:run")
    (folder / "pyproject.toml").write_text(manifest)


def test_a_service_is_its_folder(tmp_path: Path) -> None:
    service_folder(tmp_path, "ledger", 8100)
    service_folder(tmp_path, "audit", 8101)
    found = services(tmp_path)
    assert list(found) == ["audit", "ledger"]
    assert found["ledger"].worker_port == 8200
    assert found["ledger"].secret_files == {"KEY_FILE": "ledger-key"}
    assert found["ledger"].prefix == "BIZDEV_LEDGER_"


def test_two_services_on_one_port_are_refused(tmp_path: Path) -> None:
    service_folder(tmp_path, "ledger", 8100)
    service_folder(tmp_path, "audit", 8200)  # ledger's worker port
    with pytest.raises(ValueError, match="share a port"):
        services(tmp_path)


def test_a_service_whose_script_runs_something_else_is_refused(tmp_path: Path) -> None:
    service_folder(tmp_path, "ledger", 8100, script="elsewhere:run")
    with pytest.raises(ValueError, match=r"must run bizdev_ledger\.main:run"):
        services(tmp_path)


def test_its_own_variables_win_over_the_callers() -> None:
    started = ServiceProcess(
        "ledger",
        "postgresql://db/x",
        "kafka:9092",
        8100,
        8200,
        {"db_schema": "ledger_copy"},
        outside={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector"},
    )
    env = started.environment({"BIZDEV_LEDGER_HTTP_PORT": "1", "PATH": "/bin"})
    assert env["BIZDEV_LEDGER_HTTP_PORT"] == "8100"
    assert env["BIZDEV_LEDGER_WORKER_HTTP_PORT"] == "8200"
    assert env["BIZDEV_LEDGER_DB_SCHEMA"] == "ledger_copy"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector"
    assert env["PATH"] == "/bin"
    assert started.command("worker")[1:] == ["worker"]
    assert started.command("api")[0].endswith("bizdev-ledger")


def test_a_new_service_takes_the_next_free_port_and_a_fitting_name(tmp_path: Path) -> None:
    service_folder(tmp_path, "ledger", 8100)
    service_folder(tmp_path, "audit", 8101)
    assert free_port(tmp_path) == 8102
    new_service(tmp_path, "billing")
    assert services(tmp_path)["billing"].port == 8102
    for name in ("Billing", "billing-two", "b", "billing"):
        with pytest.raises(ValueError, match=r"lower-case letters|exists already"):
            new_service(tmp_path, name)
