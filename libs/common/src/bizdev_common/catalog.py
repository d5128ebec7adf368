"""The event catalog: what every service publishes, as files analytics and other services can
trust, generated from the code that publishes it.

`bizdev-contracts generate` (`make contracts`) writes, under `contracts/`:
- `<service>/<EventName>.v<N>.schema.json`: the JSON Schema of each public event model, as
  its JSON is on the topic (pydantic's serialization schema);
- `<service>/asyncapi.json`: the service's AsyncAPI document (asyncapi.py), as its
  `/asyncapi.json` route serves it;
- `CATALOG.md`: per topic the event types, key, headers, fields, producer and consumers.

`bizdev-contracts check` fails when the committed files are not what the code generates
(run `make contracts`), when a schema changed in a way its readers cannot follow (a field
removed or renamed, a type changed, a new required field, an enum narrowed) without the
event's version being raised, when an event version disappeared, and when a consumer reads
an event type or field its producer does not publish.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizdev_common import asyncapi
from bizdev_common.asyncapi import event_schema
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import dlq_topic
from bizdev_common.envelope import CE_HEADERS, ENVELOPE_CHANGES, ENVELOPE_VERSION
from bizdev_common.service import ServiceParts
from bizdev_common.settings import ServiceSettings

CATALOG = "CATALOG.md"
DEFAULT_DIR = Path("contracts")
BASE_FIELDS = tuple(PublicEvent.model_fields)

DLQ_HEADERS = {
    "dlq_group": "consumer group that gave up on the record",
    "dlq_handler": "`projection:<name>` or `reaction:<name>`",
    "dlq_error": "the last error (at most 1,000 characters)",
    "dlq_attempts": "how often it was tried",
    "dlq_topic": "the topic the record came from",
    "dlq_partition": "its partition there",
    "dlq_offset": "its offset there",
}
"""Headers a parked record carries on the DLQ topic beside its original ones
(deadletters.Letter.dlq_headers)."""

ANNOTATIONS = frozenset({"title", "description", "default", "examples"})


# --- what each service publishes and reads ---------------------------------------------------


@dataclass
class Consumer:
    service: str
    kind: str  # "view" or "reaction"
    name: str
    contract: EventContract

    def label(self) -> str:
        return f"{self.service} {self.kind} `{self.name}`"


@dataclass
class Service:
    name: str
    parts: ServiceParts
    consumers: list[Consumer] = field(default_factory=list)

    @property
    def contract(self) -> EventContract:
        return self.parts.contract


def service_names(root: Path) -> list[str]:
    """The services of the workspace: every folder under `services/` with a pyproject."""
    return sorted(p.parent.name for p in (root / "services").glob("*/pyproject.toml"))


def load(name: str) -> Service:
    """A service's parts, from its `bizdev_<name>.main.parts()`, and what it consumes."""
    main = importlib.import_module(f"bizdev_{name}.main")
    parts: ServiceParts = main.parts()
    service = Service(name, parts)
    for make in parts.projections:
        projection = make(parts.settings.schema_name)
        for contract in projection.contracts.values():
            service.consumers.append(Consumer(name, "view", projection.name, contract))
    for make_reaction in parts.reactions:
        reaction = make_reaction()
        for contract in reaction.upstream:
            service.consumers.append(Consumer(name, "reaction", reaction.name, contract))
    return service


def asyncapi_document(service: Service) -> str:
    """The document the service's `/asyncapi.json` serves, made with the default settings
    whatever the environment says, so that the committed files do not depend on who
    generated them."""
    parts = dataclasses.replace(
        service.parts, settings=ServiceSettings.model_construct(service=service.name)
    )
    return asyncapi.to_json(asyncapi.document(parts)) + "\n"


def schema_file(contract: EventContract, model: type[PublicEvent]) -> str:
    return f"{contract.service}/{model.event_name}.v{model.event_version}.schema.json"


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generate(services: Sequence[Service]) -> dict[str, str]:
    """Every file of the catalog, by path relative to `contracts/`."""
    out: dict[str, str] = {}
    for service in services:
        for model in service.contract.models:
            out[schema_file(service.contract, model)] = dump(event_schema(service.contract, model))
        out[f"{service.name}/asyncapi.json"] = asyncapi_document(service)
    out[CATALOG] = catalog_page(services)
    return out


def write(directory: Path, files: Mapping[str, str]) -> None:
    """Writes exactly `files` under `directory`: a file no longer generated is removed."""
    for old in directory.glob("**/*"):
        if old.is_file() and old.relative_to(directory).as_posix() not in files:
            old.unlink()
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def read(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(directory.glob("**/*"))
        if p.is_file()
    }


# --- the catalog page ------------------------------------------------------------------------


def catalog_page(services: Sequence[Service]) -> str:
    consumers = [c for s in services for c in s.consumers]
    lines = [
        "# Event catalog",
        "",
        "Generated by `make contracts` from the services' published.py modules; do not edit. "
        "`make test` fails when it is stale, and when an event changed in a way its readers "
        "cannot follow without its version being raised (see docs/events.md, evolving an event).",
        "",
        "Every service publishes its public events to one topic, `bizdev.<service>.events.v1`, "
        "keyed by aggregate id (so one record's events stay in order on one partition), as "
        "CloudEvents 1.0 in Kafka binary mode: the attributes are headers, the value is the "
        "event's JSON. Delivery is at least once: `ce_id` is the same on a re-publication and "
        "`ce_sequence` grows within a partition. Topics keep their records for good "
        "(`retention.ms=-1`, `retention.bytes=-1`): a view can be rebuilt from the beginning.",
        "",
        "| header | meaning |",
        "|---|---|",
        *(f"| `{k}` | {v} |" for k, v in CE_HEADERS.items()),
        "",
        f"Envelope version {ENVELOPE_VERSION} (the headers' form; each event's own version "
        "is in its `ce_type`). Its changes, all still on the topics, which keep every record:",
        "",
        *(f"{n}. {change}" for n, change in sorted(ENVELOPE_CHANGES.items())),
        "",
        "Fields every event carries (not repeated below): "
        + ", ".join(f"`{f}`" for f in BASE_FIELDS)
        + ".",
        "",
    ]
    for service in services:
        lines += _topic_section(service, consumers)
    for service in services:
        lines += _dlq_section(service)
    return "\n".join(lines).rstrip() + "\n"


def _consumers_of(ce_type: str, consumers: Iterable[Consumer]) -> list[Consumer]:
    return [
        c for c in consumers if any(c.contract.ce_type(m) == ce_type for m in c.contract.models)
    ]


def _topic_section(service: Service, consumers: list[Consumer]) -> list[str]:
    contract = service.contract
    retired = set(contract.retired)
    lines = [
        f"## `{contract.topic}`",
        "",
        f"Producer: **{service.name}** (`bizdev_{service.name}.published`). "
        f"Key: the aggregate id (`ce_subject`). "
        f"AsyncAPI: [`{service.name}/asyncapi.json`]({service.name}/asyncapi.json).",
        "",
        "| ce_type | schema | consumers |",
        "|---|---|---|",
    ]
    for model in contract.models:
        ce_type = contract.ce_type(model)
        readers = ", ".join(c.label() for c in _consumers_of(ce_type, consumers)) or "—"
        state = " (retired: still on the topic, no longer published)" if model in retired else ""
        lines.append(
            f"| `{ce_type}`{state} | [schema]({schema_file(contract, model)}) | {readers} |"
        )
    lines.append("")
    for model in contract.models:
        lines += _event_section(contract, model, consumers)
    return lines


def _event_section(
    contract: EventContract, model: type[PublicEvent], consumers: list[Consumer]
) -> list[str]:
    ce_type = contract.ce_type(model)
    schema = event_schema(contract, model)
    doc = " ".join((model.__doc__ or "").split())
    lines = [f"### `{ce_type}`", "", doc, ""] if doc else [f"### `{ce_type}`", ""]
    for c in _consumers_of(ce_type, consumers):
        read = next(m for m in c.contract.models if c.contract.ce_type(m) == ce_type)
        if c.contract.tolerant:
            used = [f"`{f}`" for f in read.model_fields if f not in BASE_FIELDS]
            lines.append(f"- read by {c.label()}: {', '.join(used) or 'no own field'}")
        else:
            lines.append(f"- read by {c.label()}")
    lines += ["", "| field | type | required | description |", "|---|---|---|---|"]
    lines += _field_rows(schema, schema, skip=BASE_FIELDS)
    for name, definition in schema.get("$defs", {}).items():
        lines += ["", f"`{name}`: {_cell(definition.get('description', ''))}", ""]
        lines += ["| field | type | required | description |", "|---|---|---|---|"]
        lines += _field_rows(definition, schema)
    lines.append("")
    return lines


def _field_rows(
    schema: Mapping[str, Any], root: Mapping[str, Any], skip: Iterable[str] = ()
) -> list[str]:
    required = set(schema.get("required", ()))
    return [
        f"| `{name}` | {_cell(type_name(prop))} | {'yes' if name in required else 'no'} | "
        f"{_cell(prop.get('description', ''))} |"
        for name, prop in schema.get("properties", {}).items()
        if name not in skip
    ]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def type_name(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_name(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    # `additionalProperties: true` (a dict of any JSON) is just an object.
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"object of {type_name(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if "pattern" in schema:
        return f"{kind} `{schema['pattern']}`"
    return str(kind)


def _dlq_section(service: Service) -> list[str]:
    return [
        f"## `{dlq_topic(service.name)}`",
        "",
        f"Dead letters of {service.name}'s projectors and reactions: a record one of them kept "
        "failing on, parked so its partition moves on. Producer: **"
        f"{service.name}**; no consumer in the system (operators: `bizdev-{service.name} dlq "
        "list`, `dlq replay`). Key, value and headers are the original record's, whatever "
        "topic it came from, plus:",
        "",
        "| header | meaning |",
        "|---|---|",
        *(f"| `{k}` | {v} |" for k, v in DLQ_HEADERS.items()),
        "",
    ]


# --- compatibility ---------------------------------------------------------------------------


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        ref = str(schema["$ref"])
        if not ref.startswith("#/$defs/"):
            break
        schema = root.get("$defs", {})[ref.removeprefix("#/$defs/")]
        seen += 1
    return schema


def _shape(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """What a schema accepts, without its annotations and with references resolved."""
    schema = _resolve(schema, root)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS or key == "$defs" or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {k: _shape(v, root) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = _shape(value, root)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = sorted((_shape(v, root) for v in value), key=json.dumps)
        elif key in ("enum", "required"):
            out[key] = sorted(value, key=json.dumps)
        else:
            out[key] = value
    return out


def breaking_changes(old: Mapping[str, Any], new: Mapping[str, Any], name: str = "") -> list[str]:
    """What a reader of `old` cannot follow in `new`: removed or renamed fields, changed
    types, new required fields, narrowed enums. Descriptions, titles, defaults, new optional
    fields and widened enums are compatible."""
    problems: list[str] = []
    _compare(old, new, old, new, name or str(old.get("title", "event")), problems)
    return problems


def _compare(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_root: Mapping[str, Any],
    new_root: Mapping[str, Any],
    path: str,
    problems: list[str],
) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if "properties" in old and "properties" in new:
        old_props, new_props = old["properties"], new["properties"]
        for name in old_props:
            if name not in new_props:
                problems.append(f"{path}.{name}: field removed or renamed")
        old_required = set(old.get("required", ()))
        for name in new.get("required", ()):
            if name not in old_required:
                problems.append(f"{path}.{name}: new required field")
        for name in old_props.keys() & new_props.keys():
            _compare(
                old_props[name], new_props[name], old_root, new_root, f"{path}.{name}", problems
            )
        return
    if "enum" in old and "enum" in new:
        dropped = [v for v in old["enum"] if v not in new["enum"]]
        if dropped:
            problems.append(f"{path}: enum narrowed, {', '.join(map(json.dumps, dropped))} removed")
        rest_old = {k: v for k, v in old.items() if k != "enum"}
        rest_new = {k: v for k, v in new.items() if k != "enum"}
        if _shape(rest_old, old_root) != _shape(rest_new, new_root):
            problems.append(f"{path}: type changed from {type_name(old)} to {type_name(new)}")
        return
    for key in ("anyOf", "oneOf"):
        if key in old and key in new and len(old[key]) == len(new[key]):
            # Same number of alternatives: compare them in order (pydantic keeps the order of
            # the annotation), so that a change inside an object alternative names its field.
            for a, b in zip(old[key], new[key], strict=True):
                _compare(a, b, old_root, new_root, path, problems)
            return
    if old.get("type") == "array" and new.get("type") == "array":
        _compare(
            old.get("items", {}), new.get("items", {}), old_root, new_root, f"{path}[]", problems
        )
        return
    if _shape(old, old_root) != _shape(new, new_root):
        problems.append(f"{path}: type changed from {type_name(old)} to {type_name(new)}")


def schema_files(files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    return {k: json.loads(v) for k, v in files.items() if k.endswith(".schema.json")}


def incompatibilities(
    committed: Mapping[str, Mapping[str, Any]], generated: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Every change from the committed schemas to the generated ones that breaks a reader,
    with what to do instead."""
    problems: list[str] = []
    for path, old in sorted(committed.items()):
        new = generated.get(path)
        if new is None:
            problems.append(
                f"{path}: event version removed. A topic keeps its events for good: keep the "
                "model, listed in its contract's `retired` when no longer published"
            )
            continue
        found = breaking_changes(old, new, path.removesuffix(".schema.json"))
        if found:
            problems += found
            problems.append(
                f"{path}: breaking change without a new version. Keep this model as it was "
                "(in the contract's `retired`), publish a new one with the same `event_name` "
                "and `event_version` raised, and upcast stored events if the domain event "
                "changed too"
            )
    return problems


def unpublished_reads(services: Sequence[Service]) -> list[str]:
    """A consumer's own model of another service's event may ask only for what is published:
    each field it requires must be there, and each field it reads must have the published
    type."""
    published = {
        s.contract.ce_type(m): event_schema(s.contract, m)
        for s in services
        for m in s.contract.models
    }
    problems: list[str] = []
    for consumer in (c for s in services for c in s.consumers if c.contract.tolerant):
        for model in consumer.contract.models:
            ce_type = consumer.contract.ce_type(model)
            theirs = published.get(ce_type)
            if theirs is None:
                problems.append(f"{consumer.label()} reads {ce_type}, which nobody publishes")
                continue
            ours = event_schema(consumer.contract, model)
            required = set(ours.get("required", ()))
            for name, prop in ours.get("properties", {}).items():
                path = f"{consumer.label()} reading {ce_type}.{name}"
                if name not in theirs.get("properties", {}):
                    if name in required:
                        problems.append(f"{path}: required, but not published")
                    continue
                _compare(theirs["properties"][name], prop, theirs, ours, path, problems)
    return problems


# --- git and the command line ----------------------------------------------------------------


def _git(*args: str) -> str | None:
    """git's output, or None without git or when it fails (not a repository, no such ref)."""
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run([git, *args], capture_output=True, text=True, check=False)  # noqa: S603 - our arguments
    return done.stdout if done.returncode == 0 else None


def committed_at(ref: str, directory: Path) -> dict[str, str] | None:
    """The catalog's files as committed at `ref` (run from the repository's root), or None
    without git or that ref."""
    prefix = directory.as_posix().rstrip("/") + "/"
    listed = _git("ls-tree", "-r", "--name-only", ref, "--", prefix)
    if listed is None:
        return None
    out = {}
    for name in listed.splitlines():
        text = _git("show", f"{ref}:{name}")
        if text is None:
            return None
        out[name.removeprefix(prefix)] = text
    return out


def default_base() -> str | None:
    """Where the branch left main (main itself on main), else HEAD; None outside git."""
    found = _git("merge-base", "HEAD", "main") or _git("rev-parse", "--verify", "HEAD")
    return found.strip() if found else None


def stale(directory: Path, files: Mapping[str, str]) -> list[str]:
    committed = read(directory) if directory.is_dir() else {}
    return sorted(
        [
            f"{k}: {'missing' if k not in committed else 'differs'}"
            for k in files
            if committed.get(k) != files[k]
        ]
        + [f"{k}: no longer generated" for k in committed if k not in files]
    )


def _services(root: Path) -> list[Service]:
    return [load(name) for name in service_names(root)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bizdev-contracts", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write contracts/ from the code")
    gen.add_argument("--out", type=Path, default=DEFAULT_DIR)
    chk = sub.add_parser("check", help="fail on stale or incompatible contracts")
    chk.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    chk.add_argument(
        "--base",
        default=None,
        help="git ref whose committed schemas new ones must stay compatible with "
        "(default: where HEAD left main, else HEAD; the files in --dir outside git)",
    )
    args = parser.parse_args(argv)
    services = _services(Path.cwd())
    files = generate(services)
    if args.command == "generate":
        write(args.out, files)
        print(f"{args.out}: {len(files)} files for {', '.join(s.name for s in services)}")
        return 0
    problems = [f"stale: {p}" for p in stale(args.dir, files)]
    if problems:
        problems.append(
            "the committed contracts are not what the code generates: run `make contracts`"
        )
    base = args.base or default_base()
    baseline = committed_at(base, args.dir) if base else None
    if baseline is None:
        baseline = read(args.dir) if args.dir.is_dir() else {}
    problems += incompatibilities(schema_files(baseline), schema_files(files))
    problems += unpublished_reads(services)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"contracts: current and compatible with {base or args.dir}")
    return 1 if problems else 0


def run() -> None:
    raise SystemExit(main())
