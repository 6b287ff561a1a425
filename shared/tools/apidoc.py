"""docs/api.md, the API reference (issue 20): its hand-written head is kept as written; everything below the marker
is generated from the four services' OpenAPI documents (every route: operation id, summary, who may call it, its
answers and errors) and their AsyncAPI documents (every topic: producer, key, consumers, data).
`python -m shared.tools.apidoc` rewrites it; tests/unit/shared/test_api_reference.py keeps it current."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.http.operations import SIGNED, STAFF, roles_of
from shared.messaging.topics import TOPICS
from shared.runtime.serving import asyncapi_document, create_app, load_spec
from shared.runtime.settings import DEFAULT_PORTS, SERVICES, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
MARKER = "<!-- Everything below is generated from the OpenAPI and AsyncAPI documents: python -m shared.tools.apidoc -->"
COMMAND = ".venv/bin/python -m shared.tools.apidoc"
_NAMED_CODE = re.compile(r"\b([45]\d\d)\s+`([a-z][a-z0-9_]*)`")  # "409 `visit_recorded`" in a route's description
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


@dataclass(frozen=True)
class Documents:
    """What the reference is written from: each service's OpenAPI and AsyncAPI documents."""

    openapi: dict[str, dict[str, Any]]
    asyncapi: dict[str, dict[str, Any]]


def documents() -> Documents:
    """The documents the services serve (`/openapi.json`, `/asyncapi`), built without starting them."""
    settings = Settings(kafka="localhost:9092")
    openapi, asyncapi = {}, {}
    for service in SERVICES:
        spec = load_spec(service)
        openapi[service] = create_app(spec, settings).openapi()
        asyncapi[service] = asyncapi_document(spec, settings)
    return Documents(openapi, asyncapi)


def render(current: str, docs: Documents | None = None) -> str:
    """docs/api.md: the hand-written part of `current` (all above the marker), then the generated part."""
    head = current.split(MARKER)[0].rstrip()
    return f"{head}\n\n{MARKER}\n\n{generated(docs or documents())}"


def generated(docs: Documents) -> str:
    """Every route of every service, by tag, then every topic."""
    parts = ["## Routes\n"]
    for service in SERVICES:
        parts.append(_service_routes(service, docs.openapi[service]))
    parts.append(_topics(docs.asyncapi))
    return "\n".join(parts)


def _service_routes(service: str, document: dict[str, Any]) -> str:
    lines = [f"### {service} (port {DEFAULT_PORTS[service]})\n", _first_sentence(document["info"].get("description"))]
    by_tag: dict[str, list[str]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            by_tag.setdefault(operation["tags"][0], []).append(_route_row(method, path, operation))
    for tag, rows in by_tag.items():
        lines += [f"\n#### {service} · {tag}\n", "| call | operation | who | answers | errors | what |"]
        lines += ["|---|---|---|---|---|---|", *rows]
    return "\n".join(lines) + "\n"


def _route_row(method: str, path: str, operation: dict[str, Any]) -> str:
    statuses = sorted(operation.get("responses", {}))
    answers = " ".join(s for s in statuses if s.startswith("2"))
    errors = " ".join(s for s in statuses if s[0] in "45")
    named = sorted(set(_NAMED_CODE.findall(operation.get("description", ""))))
    if named:
        errors += "; " + ", ".join(f"{status} `{code}`" for status, code in named)
    what = _first_sentence(operation.get("description")) or operation.get("summary", "")
    cells = (
        f"`{method.upper()} {path}`",
        f"`{operation['operationId']}`",
        who_may(roles_of(operation)),
        answers,
        errors,
    )
    return "| " + " | ".join((*cells, _cell(what))) + " |"


def who_may(roles: tuple[str, ...]) -> str:
    """The **who** cell of a route: its declared roles (an admin always may, as the page's head says)."""
    if set(roles) == set(STAFF):
        return "any staff"
    if roles == SIGNED:
        return "the property company (signed, no token)"
    return ", ".join(roles) or "undeclared"


def _first_sentence(text: str | None) -> str:
    flat = " ".join((text or "").split())
    match = _SENTENCE.match(flat)
    return match.group(1) if match else flat


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _topics(asyncapi: dict[str, dict[str, Any]]) -> str:
    """One row per topic some service publishes: who publishes it, its key, who consumes it, its data."""
    producers, consumers, payloads = _channels(asyncapi)
    catalogue = {topic.name: topic for topic in TOPICS}
    lines = [
        "## Topics\n",
        "| topic | producer | key | consumers | data (`?`: may be absent or null) |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(producers):
        topic = catalogue[name]
        label = f"`{name}`" + (" (personal data)" if topic.personal else "")
        readers = ", ".join(sorted(consumers.get(name, []))) or "—"
        lines.append(f"| {label} | {producers[name]} | `{topic.key_field}` | {readers} | {payloads[name]} |")
    return "\n".join(lines) + "\n"


def _channels(asyncapi: dict[str, dict[str, Any]]) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """From every service's document: each topic's producer, its consumers, and its data fields."""
    producers: dict[str, str] = {}
    consumers: dict[str, list[str]] = {}
    payloads: dict[str, str] = {}
    for service, document in asyncapi.items():
        for operation in document.get("operations", {}).values():
            channel = _resolve(document, operation["channel"]["$ref"])
            name = channel["address"]
            if operation["action"] == "send":
                producers[name] = service
                payloads[name] = _fields(document, _payload(document, channel))
            else:
                consumers.setdefault(name, []).append(service)
    return producers, consumers, payloads


def _payload(document: dict[str, Any], channel: dict[str, Any]) -> dict[str, Any]:
    message = _resolve(document, next(iter(channel["messages"].values()))["$ref"])
    return _resolve(document, message["payload"]["$ref"])


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    """The object a local `$ref` ("#/components/…") points at (keys may hold `/` escaped as `~1`)."""
    found: Any = document
    for part in ref.removeprefix("#/").split("/"):
        found = found[part.replace("~1", "/").replace("~0", "~")]
    return found


def _fields(document: dict[str, Any], schema: dict[str, Any]) -> str:
    """`name` for text, `name: kind` otherwise (an object: its own fields in braces); `?` when optional."""
    required = set(schema.get("required", ()))
    shown = []
    for name, field in schema.get("properties", {}).items():
        kind = _kind(document, field)
        shown.append(f"`{name}{'' if name in required else '?'}`" + (f": {kind}" if kind else ""))
    return ", ".join(shown)


def _kind(document: dict[str, Any], field: dict[str, Any]) -> str:
    """A field's kind in a word ("" for text): time, date, integer, boolean, object, list of …, {its fields}."""
    options = [f for f in field.get("anyOf", [field]) if f.get("type") != "null"]
    if len(options) > 1:
        return " or ".join(_kind(document, option) or "text" for option in options)
    field = options[0] if options else field
    if "$ref" in field:
        return "{" + _fields(document, _resolve(document, field["$ref"])) + "}"
    if field.get("type") == "array":
        return "list of " + (_kind(document, field.get("items", {})) or "text")
    kind = {"date-time": "time", "date": "date"}.get(field.get("format", ""), field.get("type", "any"))
    return "" if kind == "string" else kind


def write(path: Path = DOC) -> Path:
    """Rewrite the generated part of docs/api.md (the hand-written part stays as it is)."""
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write())
