"""Risk rating of a hazard: the four aspects of the domain on a configurable matrix.

By default severity = max(degree of harm, scale), likelihood = frequency, score = severity ×
likelihood on a 5×5 matrix, and a breach of legal/OHS requirements lifts the band to at least
"high". Every number and name comes from config.risk, so a site can change the method.
"""

from __future__ import annotations

from typing import Any

from forms.card import Rating
from forms.config import Config, ConfigError
from forms.errors import FieldError, ValidationFailed

ASPECTS = ("degree", "scale", "frequency")
COMPLIANCE = ("ok", "breach")
UNKNOWN_COLOR = "#9e9e9e"  # a band the configuration no longer knows (rated under an old one)


def _levels(config: Config) -> int:
    return int(config.risk["levels"])


def _check(aspects: dict[str, Any], compliance: Any, levels: int) -> None:
    errors = [
        FieldError(name, "out_of_range", {"min": 1, "max": levels, "value": value})
        for name, value in aspects.items()
        # bool is an int in Python, but True is not a rating.
        if type(value) is not int or not 1 <= value <= levels
    ]
    if compliance not in COMPLIANCE:
        errors.append(FieldError("compliance", "not_one_of",
                                 {"allowed": list(COMPLIANCE), "list": "compliance"}))
    if errors:
        raise ValidationFailed(errors)


def _combine(values: list[int], how: str) -> int:
    if how == "max":
        return max(values)
    if how == "mean":
        # Half up, not Python's banker's rounding: a 3.5 should read as 4, always.
        return (2 * sum(values) + len(values)) // (2 * len(values))
    raise ConfigError(f"risk.severity_combine must be 'max' or 'mean', not {how!r}")


def band_for_score(score: int, config: Config) -> str:
    for band in config.risk["bands"]:
        if band["min"] <= score <= band["max"]:
            return str(band["name"])
    raise ConfigError(f"risk.bands do not cover the score {score}")


def rate(
    degree: Any, scale: Any, frequency: Any, compliance: Any, config: Config, note: str = ""
) -> Rating:
    """Rate the four aspects; bad input raises ValidationFailed listing every bad field."""
    aspects = {"degree": degree, "scale": scale, "frequency": frequency}
    _check(aspects, compliance, _levels(config))
    risk = config.risk
    severity = _combine([aspects[name] for name in risk["severity_from"]],
                        risk.get("severity_combine", "max"))
    likelihood = aspects[risk["likelihood_from"]]
    score = severity * likelihood
    band = band_for_score(score, config)
    floor = risk.get("breach_min_band")
    if compliance == "breach" and floor and band_rank(band, config) < band_rank(floor, config):
        band = floor
    return Rating(
        degree=degree,
        scale=scale,
        frequency=frequency,
        compliance=compliance,
        severity=severity,
        likelihood=likelihood,
        score=score,
        band=band,
        note=note,
    )


def band_rank(band: str, config: Config) -> int:
    """0 for the lowest band, in the order of config.risk["bands"]."""
    for rank, entry in enumerate(config.risk["bands"]):
        if entry["name"] == band:
            return rank
    raise ValueError(f"unknown risk band {band!r}")


def band_color(band: str, config: Config) -> str:
    for entry in config.risk["bands"]:
        if entry["name"] == band:
            return str(entry["color"])
    return UNKNOWN_COLOR


def matrix(config: Config) -> list[list[str]]:
    """Band of every cell, `matrix(config)[severity - 1][likelihood - 1]`, before any breach
    rule (the heat map and the desktop's matrix widget draw this)."""
    levels = _levels(config)
    return [
        [band_for_score(s * lik, config) for lik in range(1, levels + 1)]
        for s in range(1, levels + 1)
    ]
