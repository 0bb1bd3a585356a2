"""Benchmark of the workshop sync service on loopback.

1. Edit propagation: 50 clients each push 10 changes a second for 20 s; the time from a push
   until every other client has received it (p50/p95/p99). The same load through a bare
   websockets relay (no validation, no storage, one frame per message) in the same run gives
   the baseline: the two take turns BENCH_SYNC_PAIRS times (3), and the ratio is the median
   of the pairs' p95 ratios. The server and the relay run in their own process; the 50
   clients are split over two load-generator processes (loopback, CLOCK_MONOTONIC is shared).
2. Catch-up: a client with 10,000 offline changes syncs with a room that received 10,000
   changes from someone else meanwhile; seconds until the client and the room agree, and
   how many changes went missing.
3. Memory: server RSS growth per idle connection with 200 connected (4 rooms of 50).

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLIENTS = int(os.environ.get("BENCH_SYNC_CLIENTS", "50"))
RATE = 10.0
DURATION = float(os.environ.get("BENCH_SYNC_DURATION", "20"))
WARMUP = 1.0
LOADGENS = 2
PAIRS = int(os.environ.get("BENCH_SYNC_PAIRS", "3"))
OFFLINE = 10_000
IDLE = 200

RELAY_CODE = """
import asyncio, sys
from websockets.asyncio.server import serve, broadcast
clients = set()
async def handler(ws):
    clients.add(ws)
    try:
        async for message in ws:
            broadcast([c for c in clients if c is not ws], message)
    finally:
        clients.discard(ws)
async def main():
    async with serve(handler, "127.0.0.1", 0, max_size=2**21, compression=None) as server:
        print("serving on ws://127.0.0.1:%d" % next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


# -- processes --------------------------------------------------------------------------


def start_cld_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, "serve", "--data", str(data), "--port", "0"]
    if os.environ.get("BENCH_SYNC_FLUSH_RATE"):
        cmd += ["--flush-rate", os.environ["BENCH_SYNC_FLUSH_RATE"]]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split()[2]


def start_relay() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-c", RELAY_CODE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[2]


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- the load generator (runs in its own process) ---------------------------------------


async def loadgen(
    url: str, token: str, ids: list[int], start_at: float, relay: bool, tag: str = ""
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    from app.model.clock import make_stamp, wall_ms
    from app.sync import protocol as p

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    sent: dict[str, float] = {}
    recv: dict[str, list[float]] = {}
    conns = []
    for i in ids:
        ws = await connect(
            url, additional_headers=headers, max_size=None, ping_interval=None, compression=None
        )
        if not relay:
            await ws.send(
                p.dumps(
                    p.Hello(protocol=p.PROTOCOL_VERSION, replica=f"lg{tag}{i}", name=f"lg{tag}{i}")
                )
            )
        conns.append((i, ws))
    end_at = start_at + DURATION

    async def send(i: int, ws: Any) -> None:
        n = 0
        next_t = start_at + random.random() / RATE
        while True:
            now = time.monotonic()
            if next_t >= end_at:
                break
            if next_t > now:
                await asyncio.sleep(next_t - now)
            cid = f"lg{tag}{i}:{n}"
            change = {
                "id": cid,
                "stamp": make_stamp(wall_ms(), n % 65536, f"lg{tag}{i}"),
                "author": f"lg{tag}{i}",
                "writes": [
                    [
                        "card",
                        f"c-bench-{i}",
                        "title",
                        f"edit {n} by client {i} " + "x" * 40,
                        [f"lg{tag}{i}:{n - 1}"],
                    ]
                ],
            }
            frame = json.dumps({"type": "push", "batch_id": f"b{n}", "changes": [change]})
            if next_t >= start_at + WARMUP:
                sent[cid] = time.monotonic()
            await ws.send(frame)
            n += 1
            next_t += 1 / RATE

    async def receive(i: int, ws: Any) -> None:
        mine = f"lg{tag}{i}:"
        try:
            async for frame in ws:
                t = time.monotonic()
                data = json.loads(frame)
                for m in data if isinstance(data, list) else [data]:
                    kind = m.get("type")
                    if kind == "changes" or kind == "push":
                        for item in m["items"] if kind == "changes" else m["changes"]:
                            cid = item["id"]
                            if cid.startswith(mine):
                                continue
                            rec = recv.get(cid)
                            if rec is None:
                                recv[cid] = [1, t]
                            else:
                                rec[0] += 1
                                rec[1] = t
        except Exception:
            pass

    receivers = [asyncio.create_task(receive(i, ws)) for i, ws in conns]
    await asyncio.gather(*(send(i, ws) for i, ws in conns))
    await asyncio.sleep(3.0)  # stragglers
    for _, ws in conns:
        await ws.close()
    for r in receivers:
        r.cancel()
    return {"sent": sent, "recv": recv}


def run_loadgen_main(args: argparse.Namespace) -> None:
    ids = [int(x) for x in args.ids.split(",")]
    result = asyncio.run(loadgen(args.url, args.token, ids, args.start_at, args.relay, args.tag))
    json.dump(result, sys.stdout)


def propagation(url: str, token: str, relay: bool, tag: str = "") -> tuple[list[float], int]:
    """Latencies (ms) of changes received by all other clients, and how many were not."""
    start_at = time.monotonic() + 4.0
    groups = [list(range(CLIENTS))[k::LOADGENS] for k in range(LOADGENS)]
    procs = []
    for group in groups:
        cmd = [
            sys.executable,
            __file__,
            "--loadgen",
            "--url",
            url,
            "--token",
            token,
            "--ids",
            ",".join(map(str, group)),
            "--start-at",
            repr(start_at),
            "--tag",
            tag,
        ]
        if relay:
            cmd.append("--relay")
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
    sent: dict[str, float] = {}
    counts: dict[str, list[float]] = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=DURATION + 60)
        result = json.loads(out)
        sent.update(result["sent"])
        for cid, (n, t) in result["recv"].items():
            rec = counts.setdefault(cid, [0, 0.0])
            rec[0] += n
            rec[1] = max(rec[1], t)
    latencies = []
    missing = 0
    for cid, t0 in sent.items():
        rec = counts.get(cid)
        if rec is None or rec[0] < CLIENTS - 1:
            missing += 1
            continue
        latencies.append((rec[1] - t0) * 1000)
    return latencies, missing


# -- the phases -------------------------------------------------------------------------


def make_room(data: Path, name: str) -> Any:
    from app.sync.roomlog import RoomLog
    from app.sync.server import default_db_url

    data.mkdir(parents=True, exist_ok=True)
    roomlog = RoomLog(default_db_url(data))
    try:
        return roomlog.create_room(name)
    finally:
        roomlog.close()


def seed_board(path: Path, cards: int) -> Any:
    from app.model.document import Document
    from app.model.edits import add_card, add_lane, add_stage

    doc = Document.new(path)
    sid, e = add_stage(doc, "Acquire", stage_id="s-bench")
    doc.commit(e)
    lid, e = add_lane(doc, "Actions", "actions", lane_id="l-bench")
    doc.commit(e)
    edits = []
    for i in range(cards):
        _, e = add_card(doc, lid, sid, title=f"card {i}", card_id=f"c-bench-{i}")
        edits.extend(e)
    doc.commit(edits)
    return doc


def offline_edits(doc: Any, n: int, tag: str) -> set[str]:
    """n local changes: one new card in ten, the rest title or notes edits."""
    from app.model.edits import add_card, update

    ids: set[str] = set()
    cards = [c.id for c in doc.cards()]
    for k in range(n):
        if k % 10 == 0:
            cid, edits = add_card(
                doc, "l-bench", "s-bench", title=f"{tag} new {k}", card_id=f"c-{tag}-{k}"
            )
            cards.append(cid)
        else:
            target = cards[k % len(cards)]
            field = "title" if k % 2 else "notes"
            edits = update(doc, "card", target, **{field: f"{tag} {field} {k}"})
        ids.add(doc.commit(edits).id)
    return ids


async def catchup(url: str, room: Any, work: Path) -> tuple[float, int]:
    from app.model.document import Document
    from app.sync.client import DocumentAdapter, SyncClient
    from app.sync.roomlog import RoomLog
    from app.sync.server import default_db_url

    token = room.tokens["editor"]
    seed = seed_board(work / "seed.cld", 200)
    await SyncClient(url, token, DocumentAdapter(seed)).sync_once(timeout=60)
    seed.close()
    x = Document.new(work / "x.cld")
    y = Document.new(work / "y.cld")
    for doc in (x, y):
        await SyncClient(url, token, DocumentAdapter(doc)).sync_once(timeout=60)
    x_ids = offline_edits(x, OFFLINE, "x")
    y_ids = offline_edits(y, OFFLINE, "y")
    await SyncClient(url, token, DocumentAdapter(y)).sync_once(timeout=120)
    started = time.perf_counter()
    await SyncClient(url, token, DocumentAdapter(x)).sync_once(timeout=120)
    elapsed = time.perf_counter() - started
    check = Document.new(work / "check.cld")
    await SyncClient(url, token, DocumentAdapter(check)).sync_once(timeout=120)
    same = _state(check) == _state(x)
    roomlog = RoomLog(default_db_url(work / "data"))
    logged = roomlog.change_ids(room.id)
    roomlog.close()
    known_x = x.store.known_change_ids(y_ids)
    lost = len(x_ids - logged) + len(y_ids - known_x) + (0 if same else 1)
    for doc in (x, y, check):
        doc.close()
    return elapsed, lost


def _state(doc: Any) -> dict[str, Any]:
    return {
        et: {i: r.values for i, r in recs.items()} for et, recs in doc.store.load_records().items()
    }


async def idle_memory(url: str, rooms: list[Any], pid: int) -> float:
    import psutil
    from websockets.asyncio.client import connect

    from app.sync import protocol as p

    proc = psutil.Process(pid)

    async def join(room: Any, k: int) -> Any:
        ws = await connect(
            f"{url}/rooms/{room.id}",
            additional_headers={"Authorization": f"Bearer {room.tokens['editor']}"},
            open_timeout=15,
        )
        await ws.send(
            p.dumps(
                p.Hello(
                    protocol=p.PROTOCOL_VERSION,
                    replica=f"idle{k}",
                    name=f"idle {k}",
                    color="#336699",
                )
            )
        )
        await asyncio.wait_for(ws.recv(), 15)  # the welcome; a stuck join fails the run
        return ws

    warm = [await join(room, k) for k, room in enumerate(rooms)]
    await asyncio.sleep(1.0)
    before = proc.memory_info().rss
    conns = []
    for k in range(IDLE):
        conns.append(await join(rooms[k % len(rooms)], 100 + k))
    await asyncio.sleep(2.0)
    after = proc.memory_info().rss
    for ws in conns + warm:
        await ws.close()
    return (after - before) / IDLE / 1024


def main() -> None:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        work = Path(tmp)
        data = work / "data"
        room = make_room(data, "Bench")
        server, base = start_cld_server(data)
        relay, relay_url = start_relay()
        try:
            url = f"{base}/rooms/{room.id}"
            seed = seed_board(work / "bench-seed.cld", CLIENTS)
            from app.sync.client import DocumentAdapter, SyncClient

            asyncio.run(
                SyncClient(url, room.tokens["editor"], DocumentAdapter(seed)).sync_once(timeout=60)
            )
            seed.close()
            # cld and the bare relay take turns, PAIRS times: a slow spell of the shared
            # machine then hits both sides of a pair, and the ratio is the median of pairs
            lat, bare, ratios, missing = [], [], [], 0
            for k in range(PAIRS):
                log(
                    f"pair {k + 1}/{PAIRS}: {CLIENTS} clients x {RATE:g}/s x {DURATION:g} s "
                    "through cld serve, then through a bare websockets relay ..."
                )
                ours, miss = propagation(url, room.tokens["editor"], relay=False, tag=f"p{k}")
                theirs, bare_missing = propagation(relay_url, "", relay=True, tag=f"p{k}")
                log(
                    f"  cld p95 {percentile(ours, 95):.1f} ms ({miss} not received by all), "
                    f"relay p95 {percentile(theirs, 95):.1f} ms ({bare_missing})"
                )
                ratios.append(percentile(ours, 95) / percentile(theirs, 95))
                lat += ours
                bare += theirs
                missing += miss
            import psutil

            cpu = psutil.Process(server.pid).cpu_times()
            log(f"  server cpu {cpu.user + cpu.system:.1f} s")
            if os.environ.get("BENCH_SYNC_ONLY"):
                print(percentile(lat, 50), percentile(lat, 95))
                return
        finally:
            stop(server)
            stop(relay)
        p95 = percentile(lat, 95)
        figures.update(
            p50_ms=round(percentile(lat, 50), 2),
            p95_ms=round(p95, 2),
            p99_ms=round(percentile(lat, 99), 2),
            p95_ratio_vs_bare_relay=round(statistics.median(ratios), 2),
        )
        log(
            f"  cld p50 {percentile(lat, 50):.1f} ms, p95 {p95:.1f}, p99 {percentile(lat, 99):.1f};"
            f" bare relay p50 {percentile(bare, 50):.1f}, p95 {percentile(bare, 95):.1f},"
            f" p99 {percentile(bare, 99):.1f}; p95 ratios of the pairs "
            + ", ".join(f"{r:.2f}" for r in ratios)
        )

        data2 = work / "catchup" / "data"
        room2 = make_room(data2, "Catch-up")
        server, base = start_cld_server(data2)
        try:
            log(f"catch-up: {OFFLINE} offline changes vs {OFFLINE} from another client ...")
            elapsed, lost = asyncio.run(catchup(f"{base}/rooms/{room2.id}", room2, data2.parent))
            figures.update(catchup_s=round(elapsed, 2), lost=lost, propagation_missing=missing)
            log(f"  {elapsed:.2f} s, lost {lost}")
        finally:
            stop(server)

        data3 = work / "idle"
        rooms = [make_room(data3, f"Idle {k}") for k in range(4)]
        server, base = start_cld_server(data3)
        try:
            log(f"memory: {IDLE} idle connections ...")
            kib = asyncio.run(idle_memory(base, rooms, server.pid))
            figures["kib_per_connection"] = round(kib, 1)
            log(f"  {kib:.1f} KiB per connection")
        finally:
            stop(server)
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loadgen", action="store_true")
    parser.add_argument("--relay", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--token", default="")
    parser.add_argument("--ids")
    parser.add_argument("--start-at", type=float)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.loadgen:
        run_loadgen_main(args)
    else:
        main()
