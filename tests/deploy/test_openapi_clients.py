"""The services' OpenAPI documents as a frontend's tools read them (tools/openapi-check, which
`make install` sets up with npm): redocly's recommended rules and spectral's `oas` find no
error in any of them, openapi-typescript makes a TypeScript client of each, and `tsc` accepts
both the clients and a program that drafts, submits and approves an application through
projects' (apply.ts: its operations by their ids, `draftApplication`, `approveApplication`).
The documents are each service's app's own, as `/openapi.json` serves them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bizdev_common import catalog
from bizdev_common.service import create_app

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "openapi-check"
BIN = TOOLS / "node_modules" / ".bin"


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finished(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=240)
    assert process.returncode == 0, f"{' '.join(map(str, process.args))}:\n{output}"
    return output


def test_every_document_lints_clean_and_makes_a_client_that_type_checks(tmp_path: Path) -> None:
    assert BIN.is_dir(), f"{BIN} is missing: `make install` runs npm ci in {TOOLS}"
    names = catalog.service_names(ROOT)
    config = ["extends: [recommended]", "apis:"]
    for name in names:
        document = tmp_path / f"{name}.json"
        document.write_text(json.dumps(create_app(catalog.load(name).parts).openapi()))
        config += [
            f"  {name}:",
            f"    root: {document}",
            "    x-openapi-ts:",
            f"      output: {tmp_path / 'generated' / name}.ts",
        ]
    (tmp_path / "redocly.yaml").write_text("\n".join(config) + "\n")
    documents = [str(tmp_path / f"{name}.json") for name in names]

    # Independent of each other: at once.
    redocly = _start(str(BIN / "redocly"), "lint", "--format=summary", cwd=tmp_path)
    spectral = _start(
        str(BIN / "spectral"), "lint", "--ruleset", str(TOOLS / ".spectral.yaml"),
        "--display-only-failures", *documents, cwd=tmp_path,
    )  # fmt: skip
    # A body field with a default may be left out, as pydantic's model says.
    generate = _start(
        str(BIN / "openapi-typescript"), "--redocly", "redocly.yaml",
        "--default-non-nullable", "false", cwd=tmp_path,
    )  # fmt: skip
    summary = _finished(redocly)
    assert "error" not in summary.lower(), summary
    _finished(spectral)
    _finished(generate)

    for name in ("apply.ts", "tsconfig.json"):
        (tmp_path / name).write_text((TOOLS / name).read_text())
    (tmp_path / "node_modules").symlink_to(TOOLS / "node_modules")
    _finished(_start(str(BIN / "tsc"), "-p", "tsconfig.json", cwd=tmp_path))
