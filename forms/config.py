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
from zoneinfo import ZoneInfo

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
        """The configured label of a list entry, a kind (`kinds`) or a field (`fields`)."""
        entry = self.labels.get(list_name, {}).get(code)
        if not entry:
            return None
        return entry.get(lang) or entry.get("ru") or next(iter(entry.values()), None)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The site's time zone: every time a person sees or picks is in it (storage is UTC)."""
        return ZoneInfo(str(self.sla["calendar"]["timezone"]))

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
    text = (resources.files("resources") / "config" / f"{name}.json").read_text("utf-8")
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
    lists: dict[str, list[str]] = {}
    labels: dict[str, dict[str, dict[str, str]]] = {"kinds": {}, "fields": {}}
    for list_name, entries in raw["lists"].items():
        # A value is a code (its label in the catalogue) or {"code": …, "label": {"ru": …}}.
        lists[list_name] = [e["code"] if isinstance(e, dict) else e for e in entries]
        labels[list_name] = {e["code"]: dict(e.get("label", {})) for e in entries
                             if isinstance(e, dict)}
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
            if f.get("label"):
                labels["fields"][f["name"]] = dict(f["label"])
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
        if spec.get("label"):
            labels["kinds"][kind_name] = dict(spec["label"])
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
    if not fallback.get("*"):
        raise ConfigError("routing.fallback needs a '*' entry: a card must always reach someone")
    for rule in rules:
        if not rule.chain:
            raise ConfigError(f"routing rule {rule.id}: the chain is empty")
    _check_risk(raw["risk"])
    _check_sla(raw["sla"], kinds)
    _check_labels(kinds, lists, labels)
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


def _check_labels(kinds: dict[str, KindSpec], lists: dict[str, list[str]],
                  labels: dict[str, dict[str, dict[str, str]]]) -> None:
    """Everything the configuration names that a person reads must have a label: in the
    configuration itself or in the catalogue. Without one, people would read the code."""
    from forms.i18n import has

    def missing(group: str, code: str, key: str) -> bool:
        return not labels.get(group, {}).get(code) and not has(key, "ru")

    for kind in kinds.values():
        if missing("kinds", kind.name, f"option.kinds.{kind.name}"):
            raise ConfigError(f'kind {kind.name} has no label: give it "label": '
                              '{"ru": "…", "en": "…"} in kinds.json')
        for spec in kind.fields:
            if missing("fields", spec.name, f"field.{spec.name}"):
                raise ConfigError(f"kind {kind.name}: field {spec.name} has no label: give it "
                                  '"label": {"ru": "…", "en": "…"} in kinds.json')
    for list_name, codes in lists.items():
        for code in codes:
            if missing(list_name, code, f"option.{list_name}.{code}"):
                raise ConfigError(f"list {list_name}: value {code} has no label: write it as "
                                  f'{{"code": "{code}", "label": {{"ru": "…", "en": "…"}}}}')


def _check_risk(risk: dict[str, Any]) -> None:
    """Bands must tile every score of the matrix, in order, so each rating has one band."""
    levels = int(risk["levels"])
    expected = 1
    names = []
    for band in risk["bands"]:
        if band["min"] != expected or band["max"] < band["min"]:
            raise ConfigError(f"risk.bands: band {band['name']} must start at {expected}")
        expected = band["max"] + 1
        names.append(band["name"])
    if expected != levels * levels + 1:
        raise ConfigError(f"risk.bands must end at {levels * levels}")
    for key in ("breach_min_band", "close_blocked_from_band"):
        if risk.get(key) is not None and risk[key] not in names:
            raise ConfigError(f"risk.{key}: no band named {risk[key]!r}")


def _check_sla(sla: dict[str, Any], kinds: dict[str, KindSpec]) -> None:
    """Parse every calendar entry and duration now, not the first time a card needs it."""
    from forms.calendar import BusinessCalendar, parse_duration

    try:
        BusinessCalendar.from_config(sla)
        for name, profile in sla["profiles"].items():
            for spec in profile.values():
                values = spec if isinstance(spec, list) else (
                    spec.values() if isinstance(spec, dict) else [spec])
                for value in values:
                    parse_duration(value)
            if "acknowledge" not in profile or "resolve" not in profile:
                raise ValueError(f"profile {name} needs acknowledge and resolve")
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"sla: {exc}") from exc
    for kind in kinds.values():
        if kind.sla_profile not in sla["profiles"]:
            raise ConfigError(f"kind {kind.name}: no SLA profile {kind.sla_profile!r}")
