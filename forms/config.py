"""Site configuration: card kinds, lists, organisation, routing, risk matrix and SLA.

Configuration is data (JSON files in resources/config, later pushed by the server); this
module only loads and checks it. A home folder may hold its own `config/` with files of the
same names, which replace the bundled ones one file at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG_FILES = ("kinds", "lists", "org", "risk", "sla")
FIELD_TYPES = frozenset(
    {"text", "longtext", "bool", "datetime", "choice", "open_choice", "multichoice", "photos"}
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    list: str | None = None
    max_length: int | None = None
    default: Any = None
    hint: str | None = None


@dataclass(frozen=True)
class KindSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    sla_profile: str
    risk: bool

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    site: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class RoutingRule:
    id: str
    chain: tuple[str, ...]
    kind: str | None = None
    site: str | None = None
    department: str | None = None
    category: str | None = None


@dataclass
class Config:
    kinds: dict[str, KindSpec]
    lists: dict[str, list[str]]
    labels: dict[str, dict[str, dict[str, str]]]  # list name -> code -> lang -> label
    users: dict[str, User]
    rules: list[RoutingRule]
    fallback: dict[str, tuple[str, ...]]
    risk: dict[str, Any]
    sla: dict[str, Any]
    ltifr: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def kind(self, name: str) -> KindSpec | None:
        return self.kinds.get(name)

    def label(self, list_name: str, code: str, lang: str) -> str | None:
        """The configured label of an organisation list entry (sites, departments)."""
        entry = self.labels.get(list_name, {}).get(code)
        if not entry:
            return None
        return entry.get(lang) or entry.get("ru") or next(iter(entry.values()), None)

    def user_name(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        user = self.users.get(user_id)
        return user.name if user else user_id

    @cached_property
    def version(self) -> str:
        """A content hash, so two ends can tell whether they hold the same configuration."""
        import hashlib

        blob = json.dumps(self.raw, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


class ConfigError(ValueError):
    """The configuration files themselves are wrong (an admin's mistake, not a user's)."""


def _bundled(name: str) -> dict[str, Any]:
    text = resources.files("resources").joinpath("config", f"{name}.json").read_text("utf-8")
    return json.loads(text)


def load_raw(override_dir: Path | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name in CONFIG_FILES:
        path = override_dir / f"{name}.json" if override_dir else None
        if path is not None and path.is_file():
            try:
                raw[name] = json.loads(path.read_text("utf-8"))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
        else:
            raw[name] = _bundled(name)
    return raw


def load_config(override_dir: Path | None = None) -> Config:
    return build_config(load_raw(override_dir))


def build_config(raw: dict[str, Any]) -> Config:
    lists: dict[str, list[str]] = {k: list(v) for k, v in raw["lists"].items()}
    labels: dict[str, dict[str, dict[str, str]]] = {}
    org = raw["org"]
    for list_name in ("sites", "departments"):
        entries = org.get(list_name, [])
        lists[list_name] = [e["code"] for e in entries]
        labels[list_name] = {e["code"]: dict(e.get("label", {})) for e in entries}

    kinds: dict[str, KindSpec] = {}
    for kind_name, spec in raw["kinds"]["kinds"].items():
        fields = []
        for f in spec["fields"]:
            if f["type"] not in FIELD_TYPES:
                raise ConfigError(f"kind {kind_name}: field {f['name']}: unknown type {f['type']}")
            if f.get("list") and f["list"] not in lists:
                raise ConfigError(f"kind {kind_name}: field {f['name']}: unknown list {f['list']}")
            fields.append(
                FieldSpec(
                    name=f["name"],
                    type=f["type"],
                    required=bool(f.get("required", False)),
                    list=f.get("list"),
                    max_length=f.get("max_length"),
                    default=f.get("default"),
                    hint=f.get("hint"),
                )
            )
        kinds[kind_name] = KindSpec(
            name=kind_name,
            fields=tuple(fields),
            sla_profile=spec.get("sla_profile", kind_name),
            risk=bool(spec.get("risk", False)),
        )

    users = {u["id"]: User(**u) for u in org.get("users", [])}
    routing = org.get("routing", {})
    rules = [
        RoutingRule(
            id=r["id"],
            chain=tuple(r["chain"]),
            kind=r.get("kind"),
            site=r.get("site"),
            department=r.get("department"),
            category=r.get("category"),
        )
        for r in routing.get("rules", [])
    ]
    fallback = {site: tuple(chain) for site, chain in routing.get("fallback", {}).items()}
    if "*" not in fallback:
        raise ConfigError("routing.fallback needs a '*' entry: a card must always reach someone")
    return Config(
        kinds=kinds,
        lists=lists,
        labels=labels,
        users=users,
        rules=rules,
        fallback=fallback,
        risk=raw["risk"],
        sla=raw["sla"],
        ltifr=org.get("ltifr", {}),
        raw=raw,
    )
