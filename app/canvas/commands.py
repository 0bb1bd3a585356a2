"""Undo commands: each wraps the edits of one gesture and the edits that take it back.

The inverse is taken from the Document before the edits are committed; undo commits the
inverse as a new local Change, redo commits the edits again. In a workshop both leave alone
a field someone else has written since (undo takes back only your own edits, never theirs).
Remote Changes never come through here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand

from app.model.document import Document, Edit


class ChangeCommand(QUndoCommand):
    """One gesture's edits and their inverse."""

    def __init__(self, doc: Document, edits: Sequence[Edit], text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.edits = list(edits)
        self.inverse = doc.inverse(self.edits)
        self._last: str | None = None  # the Change this command committed last

    def redo(self) -> None:
        edits = self.edits if self._last is None else self.doc.still_ours(self.edits, self._last)
        self._last = self.doc.commit(edits).id

    def undo(self) -> None:
        assert self._last is not None
        self._last = self.doc.commit(self.doc.still_ours(self.inverse, self._last)).id


class AddCardCommand(ChangeCommand):
    """A new card in a cell."""


class EditCommand(ChangeCommand):
    """New values for fields of one entity (title, properties, rename)."""


class MoveCardsCommand(ChangeCommand):
    """Cards moved within or between cells (one drag)."""


class DeleteCommand(ChangeCommand):
    """Cards (with their links and votes), a link, a stage or a lane deleted."""


class AddLinkCommand(ChangeCommand):
    """A link between two cards."""


class PasteCommand(ChangeCommand):
    """Cards (and the links among them) pasted from the clipboard."""


class AddStageCommand(ChangeCommand):
    """A new stage column."""


class MoveStageCommand(ChangeCommand):
    """A stage moved to another place in the stage list."""


class AddLaneCommand(ChangeCommand):
    """A new lane."""


class MoveLaneCommand(ChangeCommand):
    """A lane moved within its layer."""
