"""Risk rating: four aspects, a configurable matrix, bands, and the compliance-breach rule."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.card import Rating
from forms.config import Config, ConfigError, load_config
from forms.errors import BadInput, FieldError, ValidationFailed
from forms.risk import (
    UNKNOWN_COLOR,
    band_color,
    band_for_score,
    band_rank,
    matrix,
    rate,
)

CONFIG = load_config()
BANDS = ["low", "medium", "high", "critical"]


def with_risk(**changes: Any) -> Config:
    return dataclasses.replace(CONFIG, risk={**CONFIG.risk, **changes})


def test_rating_keeps_aspects_and_leaves_author_to_the_event() -> None:
    rating = rate(3, 2, 4, "ok", CONFIG, note="oil on the floor")
    assert rating == Rating(degree=3, scale=2, frequency=4, compliance="ok", severity=3,
                            likelihood=4, score=12, band="high", note="oil on the floor")
    assert rating.at is None and rating.by is None


def test_severity_is_the_worse_of_degree_and_scale() -> None:
    assert rate(2, 5, 1, "ok", CONFIG).severity == 5
    assert rate(4, 1, 1, "ok", CONFIG).severity == 4


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (16, "high"),
     (17, "critical"), (25, "critical")],
)
def test_band_boundaries(score: int, band: str) -> None:
    assert band_for_score(score, CONFIG) == band


@pytest.mark.parametrize(
    ("aspects", "score", "band"),
    [((1, 1, 1), 1, "low"), ((2, 1, 2), 4, "low"), ((5, 1, 1), 5, "medium"),
     ((3, 3, 3), 9, "medium"), ((5, 2, 2), 10, "high"), ((4, 4, 4), 16, "high"),
     ((4, 1, 5), 20, "critical"), ((5, 5, 5), 25, "critical")],
)
def test_rated_band_at_each_boundary(aspects: tuple[int, int, int], score: int, band: str) -> None:
    rating = rate(*aspects, "ok", CONFIG)
    assert (rating.score, rating.band) == (score, band)


@pytest.mark.parametrize(
    ("aspects", "band"),
    [((1, 1, 1), "high"), ((3, 3, 3), "high"), ((4, 4, 4), "high"), ((5, 5, 5), "critical")],
)
def test_breach_raises_band_to_at_least_high(aspects: tuple[int, int, int], band: str) -> None:
    rating = rate(*aspects, "breach", CONFIG)
    assert rating.band == band
    assert rating.score == rate(*aspects, "ok", CONFIG).score  # the score is not bent


def test_breach_floor_is_configuration() -> None:
    assert rate(1, 1, 1, "breach", with_risk(breach_min_band="medium")).band == "medium"
    assert rate(1, 1, 1, "breach", with_risk(breach_min_band=None)).band == "low"


@pytest.mark.parametrize(
    ("degree", "scale", "severity"), [(3, 4, 4), (2, 3, 3), (3, 3, 3), (1, 2, 2), (1, 1, 1)]
)
def test_mean_severity_rounds_half_up(degree: int, scale: int, severity: int) -> None:
    assert rate(degree, scale, 1, "ok", with_risk(severity_combine="mean")).severity == severity


def test_formula_aspects_are_configuration() -> None:
    config = with_risk(severity_from=["degree"], likelihood_from="scale")
    rating = rate(2, 4, 5, "ok", config)
    assert (rating.severity, rating.likelihood, rating.score) == (2, 4, 8)


def test_unknown_combine_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        rate(1, 1, 1, "ok", with_risk(severity_combine="median"))


def test_bands_with_a_gap_are_a_config_error() -> None:
    config = with_risk(bands=[{"name": "low", "min": 1, "max": 4, "color": "#000"}])
    with pytest.raises(ConfigError):
        rate(5, 5, 5, "ok", config)


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 6, -1, "3", 3.0, True, None])
def test_aspect_out_of_range_or_wrong_type(value: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rate(value, 1, 1, "ok", CONFIG)
    assert caught.value.errors == [
        FieldError("degree", "out_of_range", {"min": 1, "max": 5, "value": value})
    ]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rate(1, 9, 0, "maybe", CONFIG)
    assert [(e.field, e.key) for e in caught.value.errors] == [
        ("scale", "out_of_range"), ("frequency", "out_of_range"), ("compliance", "not_one_of")
    ]
    assert caught.value.errors[-1].params == {"allowed": ["ok", "breach"], "list": "compliance"}
    assert isinstance(caught.value, BadInput) and caught.value.exit_code == 2


def test_levels_are_configuration() -> None:
    config = with_risk(levels=3)
    with pytest.raises(ValidationFailed) as caught:
        rate(4, 1, 1, "ok", config)
    assert caught.value.errors[0].params["max"] == 3


# --- bands, colours, matrix --------------------------------------------------------------

def test_band_rank_follows_file_order() -> None:
    assert [band_rank(b, CONFIG) for b in BANDS] == [0, 1, 2, 3]


def test_unknown_band_has_no_rank() -> None:
    with pytest.raises(ValueError):
        band_rank("extreme", CONFIG)


def test_band_colors_come_from_config() -> None:
    assert band_color("critical", CONFIG) == "#c62828"
    assert band_color("low", CONFIG) == "#2e7d32"
    assert band_color("retired-band", CONFIG) == UNKNOWN_COLOR


def test_matrix_is_five_by_five_from_low_to_critical() -> None:
    grid = matrix(CONFIG)
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    assert grid[0][0] == "low"
    assert grid[4][4] == "critical"
    assert grid[1][4] == "high"  # severity 2 × likelihood 5 = 10
    assert grid[4][1] == "high"
    assert grid[2][2] == "medium"


def test_matrix_cell_is_the_band_of_its_product() -> None:
    grid = matrix(CONFIG)
    for s in range(1, 6):
        for lik in range(1, 6):
            assert grid[s - 1][lik - 1] == band_for_score(s * lik, CONFIG)


levels = st.integers(1, 5)


@given(levels, levels, levels, st.sampled_from(["ok", "breach"]))
def test_rating_agrees_with_the_matrix(degree: int, scale: int, freq: int, compliance: str) -> None:
    rating = rate(degree, scale, freq, compliance, CONFIG)
    cell = matrix(CONFIG)[rating.severity - 1][rating.likelihood - 1]
    assert rating.score == rating.severity * rating.likelihood
    assert band_rank(rating.band, CONFIG) >= band_rank(cell, CONFIG)
    if compliance == "ok":
        assert rating.band == cell
    else:
        assert band_rank(rating.band, CONFIG) >= band_rank("high", CONFIG)


@given(levels, levels, levels, levels)
def test_worse_aspects_never_lower_the_band(d: int, s: int, f: int, bump: int) -> None:
    base = rate(d, s, f, "ok", CONFIG)
    worse = rate(max(d, bump), s, max(f, bump), "ok", CONFIG)
    assert band_rank(worse.band, CONFIG) >= band_rank(base.band, CONFIG)
