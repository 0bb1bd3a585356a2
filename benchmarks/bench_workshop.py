"""Workshop burst benchmark: 1,000 remote changes arriving at once in an open window.

Prints the figures, then as the last line one JSON object:
  burst_apply_ms          1,000 remote changes (500 new cards, 500 retitles) applied with
                          one doc.apply_many through the scene, until the board is painted
  burst_repaints          paint events of the board during that burst (goal: 1)
  one_by_one_ms           the baseline: the same changes applied one apply() each with a
                          repaint after each, as a client without batching would
  batch_speedup           one_by_one_ms / burst_apply_ms (same run)
  room_burst_ms           end to end through a real room: from the moment a guest window
                          has made 1,000 changes until all of them are on the host window's
                          board (push, durable room log, fan-out, one apply_many)
  room_max_stall_ms       the longest the event loop was busy during it (a 5 ms timer's
                          largest gap). Both windows share this process's one GUI thread,
                          so it includes the guest's own work and both minimaps' redraws
  host_max_stall_ms       the same with the guest in another process (`cld sync` pushing
                          1,000 new cards), as in a real workshop: only the host's work
Run: /work/venv/bin/python benchmarks/bench_workshop.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.canvas.scene import BoardScene  # noqa: E402
from app.canvas.view import BoardView  # noqa: E402
from app.canvas.window import MainWindow, make_app  # noqa: E402
from app.model import edits  # noqa: E402
from app.model.changes import Change  # noqa: E402
from app.model.document import Document  # noqa: E402
from app.model.templates import create_from_template  # noqa: E402

N = 1_000


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def remote_burst(base: Path, folder: Path) -> list[Change]:
    """N changes made in another copy of the design (another replica)."""
    with Document.open(base) as doc:
        other = doc.save_as(folder / "other.cld")
    doc = Document.open(other)
    lanes, stages = doc.lanes(), doc.stages()
    cards = doc.cards()
    start = doc.store.change_count()
    seq_before = max((s for s, _ in doc.store.changes()), default=0)
    for i in range(N // 2):
        _cid, e = edits.add_card(
            doc, lanes[i % len(lanes)].id, stages[i % len(stages)].id, title=f"Remote idea {i}"
        )
        doc.commit(e)
    for i in range(N - N // 2):
        card = cards[i % len(cards)]
        doc.commit([("card", card.id, "title", f"{card.title[:40]} (v{i})")])
    changes = [c for _s, c in doc.store.changes(after_seq=seq_before)]
    assert len(changes) == doc.store.change_count() - start == N
    doc.close()
    return changes


def board_window(path: Path) -> tuple[Document, BoardScene, BoardView, PaintCounter]:
    doc = Document.open(path)
    scene = BoardScene(doc)
    view = BoardView(scene)
    view.resize(1600, 1000)
    view.show()
    view.fit()
    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    QApplication.processEvents()
    return doc, scene, view, counter


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def main() -> None:
    app = make_app()
    folder = Path(tempfile.mkdtemp(prefix="bench-workshop-"))
    base = folder / "design.cld"
    create_from_template(base, "b2b-saas").close()
    changes = remote_burst(base, folder)

    # batched: one apply_many, one event, one repaint
    copy = folder / "batched.cld"
    with Document.open(base) as d:
        d.save_as(copy)
    doc, scene, view, counter = board_window(copy)
    counter.count = 0
    begin = time.perf_counter()
    doc.apply_many(changes, origin="remote")
    while counter.count == 0:  # until the board has been painted once
        QApplication.processEvents()
    burst_ms = (time.perf_counter() - begin) * 1000
    settle()
    repaints = counter.count
    cards_after = len(scene.cards)
    print(
        f"batched: {N} remote changes applied and painted in {burst_ms:.0f} ms, {repaints} repaint(s)"
    )
    scene.close()
    doc.close()

    # baseline: one apply and one repaint per change
    copy2 = folder / "one-by-one.cld"
    with Document.open(base) as d:
        d.save_as(copy2)
    doc, scene, view, counter = board_window(copy2)
    begin = time.perf_counter()
    for change in changes:  # each change its own event: one update and repaint each
        doc.apply(change, origin="remote")
        painted = counter.count
        while counter.count == painted:
            QApplication.processEvents()
    one_ms = (time.perf_counter() - begin) * 1000
    assert len(scene.cards) == cards_after
    print(f"one by one: {one_ms:.0f} ms ({one_ms / N:.2f} ms a change)")
    scene.close()
    doc.close()

    # end to end through a real room, host and guest windows in this process
    host_copy = folder / "host.cld"
    with Document.open(base) as d:
        d.save_as(host_copy)
    host = MainWindow(doc=Document.open(host_copy), remember=False)
    host.resize(1600, 1000)
    host.show()
    links = host.workshop.host(port=0, address="127.0.0.1", data_dir=folder / "server")
    guest = MainWindow(remember=False)
    guest.show()
    guest.workshop.join(links["editor"], "Guest", "#E03131", folder=folder / "guest")

    def wait(pred: object, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not pred():  # type: ignore[operator]
            if time.monotonic() > end:
                raise TimeoutError("the room did not settle")
            app.processEvents()
            time.sleep(0.002)

    wait(lambda: guest.doc is not None and len(guest.doc.cards()) == len(host.doc.cards()))
    gdoc = guest.doc
    lanes, stages = gdoc.lanes(), gdoc.stages()
    target = len(host.doc.cards()) + N
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    # the guest's edits are made in one go (a paste, an import) and pushed together
    staged = []
    for i in range(N):
        _cid, e = edits.add_card(
            gdoc, lanes[i % len(lanes)].id, stages[i % len(stages)].id, title=f"Guest idea {i}"
        )
        staged.extend(e)
    made = time.perf_counter()
    step = len(staged) // N
    for start in range(0, len(staged), step):
        gdoc.commit(staged[start : start + step])
    begin = last[0] = time.perf_counter()
    print(f"the guest made {N} changes in {(begin - made) * 1000:.0f} ms (its own board included)")
    timer.start()
    wait(lambda: len(host.scene.cards) >= target)
    room_ms = (time.perf_counter() - begin) * 1000
    timer.stop()
    stall = max(gaps) if gaps else 0.0
    print(
        f"room: {N} changes pushed by a guest on the host's board in {room_ms:.0f} ms; "
        f"longest busy stretch of the host's event loop {stall:.0f} ms"
    )
    guest.workshop.shutdown()
    guest.close_document()

    # the guest in another process, as on another laptop: only the host's work is measured
    room_url = links["editor"].split("#")[0]
    other_file = folder / "other-laptop.cld"
    cli = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]
    subprocess.run([*cli, "sync", str(other_file), room_url], check=True, capture_output=True)
    with Document.open(other_file) as odoc:
        lanes, stages = odoc.lanes(), odoc.stages()
        for i in range(N):
            _cid, e = edits.add_card(
                odoc, lanes[i % len(lanes)].id, stages[i % len(stages)].id, title=f"Laptop {i}"
            )
            odoc.commit(e)
    target = len(host.scene.cards) + N
    gaps.clear()
    pusher = subprocess.Popen(
        [*cli, "sync", str(other_file), room_url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    last[0] = time.perf_counter()
    timer.start()
    wait(lambda: len(host.scene.cards) >= target)
    timer.stop()
    pusher.wait(60)
    host_stall = max(gaps) if gaps else 0.0
    print(
        f"another process pushed {N} changes: the host window's longest busy stretch "
        f"{host_stall:.0f} ms"
    )
    host.workshop.shutdown()
    host.close_document()
    result = {
        "burst_apply_ms": round(burst_ms, 1),
        "burst_repaints": repaints,
        "one_by_one_ms": round(one_ms, 1),
        "batch_speedup": round(one_ms / burst_ms, 2),
        "room_burst_ms": round(room_ms, 1),
        "room_max_stall_ms": round(stall, 1),
        "host_max_stall_ms": round(host_stall, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
