"""Routing: the most specific rule picks the supervisor; otherwise a fallback always does."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.config import Config, ConfigError, build_config, load_config, load_raw
from forms.routing import Route, escalation_target, route

CONFIG = load_config()


def with_routing(rules: list[dict[str, Any]] | None = None,
                 fallback: dict[str, list[str]] | None = None) -> Config:
    raw = copy.deepcopy(load_raw())
    if rules is not None:
        raw["org"]["routing"]["rules"] = rules
    if fallback is not None:
        raw["org"]["routing"]["fallback"] = fallback
    return build_config(raw)


def hazard(site: Any = "sever", department: Any = None, category: Any = "machinery") -> dict:
    return {"site": site, "department": department, "category": category}


# --- rules -------------------------------------------------------------------------------

def test_hazard_in_synthesis_goes_to_its_supervisor() -> None:
    assert route("hazard", hazard(department="synthesis"), CONFIG) == Route(
        "petrov", ("petrov", "fedorov", "kuznetsova"), "sever-synthesis"
    )


def test_chemicals_at_sever_go_to_the_chemicals_rule() -> None:
    assert route("hazard", hazard(category="chemicals"), CONFIG).rule_id == "sever-chem"


def test_equally_specific_rules_tie_by_file_order() -> None:
    # sever-chem (site+category) and sever-synthesis (site+department) both match.
    both = hazard(department="synthesis", category="chemicals")
    assert route("hazard", both, CONFIG).rule_id == "sever-chem"
    yug = hazard(site="yug", department="repair", category="transport")
    assert route("hazard", yug, CONFIG).rule_id == "yug-repair"


def test_most_specific_rule_wins_wherever_it_is_in_the_file() -> None:
    config = with_routing(rules=[
        {"id": "site", "site": "sever", "chain": ["kuznetsova"]},
        {"id": "site-dept", "site": "sever", "department": "synthesis", "chain": ["petrov"]},
        {"id": "site-dept-cat", "site": "sever", "department": "synthesis",
         "category": "fire", "chain": ["fedorov"]},
        {"id": "any", "chain": ["admin"]},
    ])
    assert route("hazard", hazard(department="synthesis", category="fire"), config).rule_id == (
        "site-dept-cat"
    )
    assert route("hazard", hazard(department="synthesis"), config).rule_id == "site-dept"
    assert route("hazard", hazard(department="warehouse"), config).rule_id == "site"
    assert route("hazard", hazard(site="yug"), config).rule_id == "any"


def test_kind_is_a_criterion() -> None:
    complaint = {"site": "office", "department": "service_desk"}
    assert route("complaint", complaint, CONFIG) == Route(
        "novikova", ("novikova", "zaitseva"), "office-complaints"
    )
    assert route("safety_idea", {"site": "office"}, CONFIG).rule_id == "office-ideas"


def test_rule_without_kind_matches_every_kind() -> None:
    complaint = {"site": "sever", "department": "warehouse"}
    assert route("complaint", complaint, CONFIG).rule_id == "sever-warehouse"


def test_category_rule_does_not_match_a_card_without_category() -> None:
    assert route("complaint", {"site": "yug"}, CONFIG).rule_id == "fallback:yug"


def test_rule_with_empty_chain_is_refused_when_the_config_loads() -> None:
    with pytest.raises(ConfigError, match="chain is empty"):
        with_routing(rules=[
            {"id": "nobody", "site": "sever", "department": "synthesis", "chain": []},
            {"id": "site", "site": "sever", "chain": ["kuznetsova"]},
        ])


# --- fallbacks ---------------------------------------------------------------------------

def test_unknown_department_goes_to_site_fallback() -> None:
    card = hazard(site="yug", department="welding", category="fire")
    assert route("hazard", card, CONFIG) == Route("belov", ("belov",), "fallback:yug")


def test_hazard_at_office_goes_to_office_fallback() -> None:
    assert route("hazard", hazard(site="office"), CONFIG) == Route(
        "zaitseva", ("zaitseva",), "fallback:office"
    )


def test_unknown_site_goes_to_global_fallback() -> None:
    assert route("hazard", hazard(site="North-3"), CONFIG) == Route(
        "kuznetsova", ("kuznetsova",), "fallback:*"
    )


@pytest.mark.parametrize("fields", [{}, {"site": None}, {"site": ""}, {"site": 7}])
def test_missing_or_odd_site_goes_to_global_fallback(fields: dict[str, Any]) -> None:
    assert route("hazard", fields, CONFIG).rule_id == "fallback:*"


def test_known_site_without_own_fallback_goes_to_global() -> None:
    config = with_routing(rules=[], fallback={"sever": ["kuznetsova"], "*": ["admin"]})
    assert route("hazard", hazard(site="office"), config) == Route(
        "admin", ("admin",), "fallback:*"
    )


def test_site_fallback_with_empty_chain_goes_to_global() -> None:
    config = with_routing(rules=[], fallback={"office": [], "*": ["admin"]})
    assert route("hazard", hazard(site="office"), config).supervisor == "admin"


def test_empty_global_fallback_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        with_routing(rules=[], fallback={"*": []})


@given(
    st.sampled_from(["hazard", "complaint", "safety_idea", "new_kind"]),
    st.dictionaries(
        st.sampled_from(["site", "department", "category", "title"]),
        st.one_of(st.none(), st.text("abcxyz-* СевЮг", max_size=12),
                  st.sampled_from(["sever", "yug", "office", "synthesis", "repair", "chemicals"])),
    ),
)
def test_every_card_reaches_someone(kind: str, fields: dict[str, Any]) -> None:
    result = route(kind, fields, CONFIG)
    assert result.chain
    assert result.supervisor == result.chain[0]
    assert result.rule_id is not None


# --- escalation --------------------------------------------------------------------------

def test_escalation_walks_the_chain_and_stops_at_its_top() -> None:
    r = route("hazard", hazard(department="synthesis"), CONFIG)
    assert [escalation_target(r, level) for level in range(5)] == [
        "petrov", "fedorov", "kuznetsova", "kuznetsova", "kuznetsova"
    ]


def test_negative_escalation_level_is_an_error() -> None:
    with pytest.raises(ValueError):
        escalation_target(Route("a", ("a",), None), -1)
