"""The card object of the stable exchange format (DESIGN.md §4 and §10).

The card JSON of §4 plus id, state, filed_at, supervisor, risk, deadlines, actions and, for
`show`, history. Field names here are a contract: extend, never rename.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from forms import deadlines
from forms.card import Card, Rating
from forms.config import Config
from forms.display import Display


def card_json(card: Card, config: Config, now: datetime, *, history: bool = False,
              blobs: Path | None = None, lang: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": card.kind}
    kind = config.kind(card.kind)
    for spec in kind.fields if kind else ():
        value = card.fields.get(spec.name)
        if spec.type == "photos":
            value = [str(blobs / f"{sha}.jpg") if blobs else sha for sha in value or []]
        out[spec.name] = value
    out.update(
        id=card.id,
        state=card.state,
        anonymous=card.anonymous,
        filed_at=_iso(card.filed_at),
        supervisor=card.supervisor,
        source_id=card.source_id,
        risk=_risk(card),
        deadlines=[
            {
                "type": s.deadline.kind,
                "due": _iso(s.deadline.due),
                "overdue": s.overdue,
                "met_at": _iso(s.deadline.met_at),
                "late": s.late,
                "owner": s.deadline.owner,
                "action_id": s.deadline.ref,
                "escalated_to": s.escalated_to,
            }
            for s in deadlines.evaluate(card, config, now)
        ],
        actions=[
            {"id": a.id, "title": a.title, "owner": a.owner, "due": a.due, "status": a.status,
             "type": a.type, "note": a.note, "done_at": _iso(a.done_at)}
            for a in card.actions.values()
        ],
        resolution=card.resolution,
        conflicts=[
            {"at": _iso(c.at), "actor": c.actor, "wanted": c.wanted, "kept": c.kept}
            for c in card.conflicts
        ],
    )
    if history:
        display = Display.create(config, lang)
        out["history"] = [
            {"at": _iso(h.at), "actor": h.actor, "type": h.type,
             "summary": display.history(h, card.kind)}
            for h in card.history
        ]
    return out


def _risk(card: Card) -> dict[str, Any] | None:
    if card.risk_initial is None:
        return None
    return {
        "initial": _rating(card.risk_initial),
        "residual": _rating(card.risk_residual) if card.risk_residual else None,
        "band": card.risk_band,
        "effective": card.effective,
        "acceptance": card.risk_acceptance,
    }


def _rating(r: Rating) -> dict[str, Any]:
    return {"degree": r.degree, "scale": r.scale, "frequency": r.frequency,
            "compliance": r.compliance, "score": r.score, "band": r.band, "note": r.note}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
