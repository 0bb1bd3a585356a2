"""Small boards that more than one test folder builds."""

from __future__ import annotations

from pathlib import Path

from app.model import edits
from app.model.document import Document


def go_round_board(path: Path) -> tuple[Document, dict[str, str]]:
    """One column of a front-stage, a back-stage and a team card, and a link from the team
    card up to the front stage that has to go round the back-stage card; a second stage
    to move that card to. Ids: front, back, team, link, adopt (the second stage)."""
    doc = Document.new(path)
    s1, e = edits.add_stage(doc, "Onboard")
    doc.commit(e)
    s2, e = edits.add_stage(doc, "Adopt", after=s1)
    doc.commit(e)
    ids = {"adopt": s2}
    for name, kind in (("front", "frontstage"), ("back", "backstage"), ("team", "team")):
        lane, e = edits.add_lane(doc, name, kind, team="Ops" if kind == "team" else "")
        doc.commit(e)
        ids[name], e = edits.add_card(doc, lane, s1, title=name)
        doc.commit(e)
    ids["link"], e = edits.add_link(doc, ids["team"], ids["front"])
    doc.commit(e)
    return doc, ids
