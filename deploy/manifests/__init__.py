"""What deploy/generate.py writes, as data: each manifest a dict, dumped by PyYAML. Why a
field has its value is said here, beside it; the generated files carry only each document's
headline."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

Document = tuple[str, dict[str, Any]]
"""A manifest and its headline (a comment above it in the file, "" for none)."""


class Octal(int):
    """A file mode, written as one (0440) rather than as its decimal value (288)."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # A list indented under its key, as in the hand-written manifests beside these.
        super().increase_indent(flow, indentless=False)


_Dumper.add_representer(
    Octal, lambda dumper, mode: dumper.represent_scalar("tag:yaml.org,2002:int", f"0{mode:o}")
)


def to_yaml(manifest: dict[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, width=200)


def dump(header: str, documents: list[Document]) -> str:
    """A multi-document YAML file, `header` (a comment) first."""
    texts = []
    for headline, manifest in documents:
        comment = "".join(f"# {line}\n" for line in textwrap.wrap(headline, 94))
        texts.append(comment + to_yaml(manifest))
    return header + "---\n".join(texts)
