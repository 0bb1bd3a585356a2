"""Random edits, disconnects and reconnects: every replica, the server and a newcomer agree."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from sync_helpers import (
    LiveClient,
    board_state,
    conflict_set,
    create_room,
    live_state,
    room_url,
    serving,
    small_board,
    until,
)

from app.model.document import Document
from app.model.edits import add_card, delete_cards, move_cards, update
from app.sync.client import DocumentAdapter, SyncClient

CELLS = [
    ("l-actions", "s-acquire"),
    ("l-actions", "s-onboard"),
    ("l-sales", "s-acquire"),
    ("l-sales", "s-onboard"),
]


def random_edit(doc: Document, rng: random.Random, tag: str) -> None:
    cards = [c.id for c in doc.cards()]
    kind = rng.choice(["title", "title", "add", "move", "delete", "notes"])
    if kind == "add" or not cards:
        lane, stage = rng.choice(CELLS)
        _, edits = add_card(doc, lane, stage, title=f"{tag} new")
    elif kind == "move":
        lane, stage = rng.choice(CELLS)
        edits = move_cards(doc, [rng.choice(cards)], lane, stage)
    elif kind == "delete":
        edits = delete_cards(doc, [rng.choice(cards)])
    else:
        edits = update(doc, "card", rng.choice(cards), **{kind: f"{tag} {rng.randrange(1000)}"})
    if edits:
        doc.commit(edits)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_and_disconnects_converge(tmp_path: Path, seed: int) -> None:
    """Four clients editing the same cards while dropping in and out end identical, conflicts too."""
    rng = random.Random(seed)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            token = room.tokens["editor"]
            seed_doc = small_board(tmp_path / "seed.cld")
            await SyncClient(url, token, DocumentAdapter(seed_doc)).sync_once()
            seed_doc.close()
            docs = [Document.new(tmp_path / f"r{i}.cld") for i in range(4)]
            for doc in docs:
                await SyncClient(url, token, DocumentAdapter(doc)).sync_once()
            clients: list[LiveClient | None] = [None] * 4
            for round_ in range(4):
                for i, doc in enumerate(docs):
                    online = rng.random() < 0.6
                    if online and clients[i] is None:
                        clients[i] = LiveClient(doc, url, token).start()
                    elif not online and clients[i] is not None:
                        await clients[i].stop()  # type: ignore[union-attr]
                        clients[i] = None
                for step in range(12):
                    i = rng.randrange(4)
                    random_edit(docs[i], rng, f"r{i}.{round_}.{step}")
                    await asyncio.sleep(rng.choice([0, 0, 0.01]))
            for i, doc in enumerate(docs):
                if clients[i] is None:
                    clients[i] = LiveClient(doc, url, token).start()
            live = [c for c in clients if c is not None]
            room_doc = live_state(server, room.id)
            await until(
                lambda: (
                    all(c.drained() for c in live)
                    and all(board_state(c.doc) == board_state(room_doc) for c in live)
                ),
                30,
                "convergence",
            )
            newcomer = Document.new(tmp_path / "new.cld")
            await SyncClient(url, room.tokens["viewer"], DocumentAdapter(newcomer)).sync_once()
            expected = conflict_set(room_doc)
            for doc in [*docs, newcomer]:
                assert board_state(doc) == board_state(room_doc)
                assert conflict_set(doc) == expected
                for lane, stage in CELLS:  # the order a user sees in each cell
                    assert [c.id for c in doc.cards_in(lane, stage)] == [
                        c.id for c in room_doc.cards_in(lane, stage)
                    ]
            for c in live:
                await c.stop()
            for doc in [*docs, newcomer]:
                doc.close()

    asyncio.run(main())
