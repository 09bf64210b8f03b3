"""Who receives a new card: routing rules by kind, site, department and category.

A card is never refused for want of a rule: an unknown site or department is accepted as the
worker wrote it and goes to the site's fallback supervisor, or to the global one ("*").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms.config import Config, ConfigError, RoutingRule

CRITERIA = ("kind", "site", "department", "category")
GLOBAL_FALLBACK = "*"


@dataclass(frozen=True)
class Route:
    supervisor: str
    chain: tuple[str, ...]  # supervisor first, then whom to escalate to, in order
    rule_id: str | None  # the rule's id, or "fallback:<site>" / "fallback:*"


def _criteria(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, **{name: fields.get(name) for name in CRITERIA[1:]}}


def _matches(rule: RoutingRule, values: dict[str, Any]) -> bool:
    return all(
        getattr(rule, name) is None or getattr(rule, name) == values[name] for name in CRITERIA
    )


def _specificity(rule: RoutingRule) -> int:
    return sum(getattr(rule, name) is not None for name in CRITERIA)


def route(kind: str, fields: dict[str, Any], config: Config) -> Route:
    """The most specific matching rule (most non-null criteria; ties go to the rule that comes
    first in org.json), else the fallback."""
    values = _criteria(kind, fields)
    # A rule with an empty chain would route to nobody, so it is skipped, not obeyed.
    candidates = [rule for rule in config.rules if rule.chain and _matches(rule, values)]
    # max() keeps the first of equals, which is the file order the tie rule asks for.
    best = max(candidates, key=_specificity, default=None)
    if best is not None:
        return Route(supervisor=best.chain[0], chain=best.chain, rule_id=best.id)
    return fallback_route(values["site"], config)


def fallback_route(site: Any, config: Config) -> Route:
    """The site's fallback chain, else the global one."""
    key = site if isinstance(site, str) and config.fallback.get(site) else GLOBAL_FALLBACK
    chain = config.fallback.get(key, ())
    if not chain:
        raise ConfigError("routing.fallback['*'] is empty: a card must always reach someone")
    return Route(supervisor=chain[0], chain=chain, rule_id=f"fallback:{key}")


def escalation_target(route: Route, level: int) -> str:
    """Who holds the card at escalation `level` (0 = the supervisor); past the end of the
    chain it stays with the last person, there being nobody higher to tell."""
    if level < 0:
        raise ValueError(f"escalation level cannot be negative: {level}")
    return route.chain[min(level, len(route.chain) - 1)]
