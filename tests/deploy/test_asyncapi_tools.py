"""The services' AsyncAPI documents as the official tools read them (tools/openapi-check,
which `make install` sets up with npm): the AsyncAPI parser (@asyncapi/parser: the document
against its version's schema, every reference resolved, every payload and headers schema
parsed) and spectral's `asyncapi` rules find no error. The documents are the ones each
service serves at `/asyncapi.json`, as committed under contracts/."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bizdev_common import catalog

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


def test_the_asyncapi_parser_and_spectral_find_no_error(tmp_path: Path) -> None:
    assert BIN.is_dir(), f"{BIN} is missing: `make install` runs npm ci in {TOOLS}"
    documents = []
    for name in catalog.service_names(ROOT):
        document = tmp_path / f"{name}.json"
        document.write_text(catalog.asyncapi_document(catalog.load(name)))
        documents.append(str(document))

    # Independent of each other: at once.
    parser = _start("node", str(TOOLS / "asyncapi-parse.mjs"), *documents, cwd=TOOLS)
    spectral = _start(
        str(BIN / "spectral"), "lint", "--ruleset", str(TOOLS / ".spectral-asyncapi.yaml"),
        "--fail-severity", "error", *documents, cwd=tmp_path,
    )  # fmt: skip
    parsed = _finished(parser)
    assert parsed.count(": parsed, ") == len(documents), parsed
    linted = _finished(spectral)
    assert "(0 errors" in linted or "No results" in linted, linted
