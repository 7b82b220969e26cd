"""Do questions stall while an ingestion runs beside the server? p50/p95 idle, then during a one-file re-ingest.

Usage: python benchmarks/stall.py [--rounds 2] [--seconds 15] [--clients 2] [--index DATA_DIR] [--settle 40]

The real corpus is copied and ingested into a temporary directory, and `whatworks serve` answers on
a free loopback port. Each round keeps N clients asking the golden set's first 20 questions for the
given seconds, first idle, then while a separate `whatworks-ingest` process re-ingests the corpus
after one file was edited (the goal: p95 during it at most twice the idle p95). Every process is
stopped at the end.

With `--index`, a data directory already ingested (say the 100,000-chunk one that `benchmarks/query.py
--size 100000 --keep DIR` leaves) is copied and served instead, and the change is made by a separate process that
replaces the chunks of one document with edited ones (their vectors kept: no model is loaded) and
marks the index changed, as an ingestion does. What is measured is the server taking the change in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import httpx  # noqa: E402
from load import BIN, free_port, questions, resident_mb, wait_ready  # noqa: E402


def ask_for(url: str, asked: list[str], clients: int, seconds: float) -> list[tuple[float, int]]:
    """(latency ms, status) of every question the clients asked in the time."""
    out: list[tuple[float, int]] = []
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        with httpx.Client(timeout=60) as http:
            i = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = http.post(url, json={"question": asked[i % len(asked)]}).status_code
                out.append(((time.perf_counter() - started) * 1000, status))
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def touch_one_document(data: Path, round_: int) -> None:
    """Replace one document's chunks by edited copies in the active collection, and mark it changed."""
    sys.path.insert(0, str(REPO))
    from assistant.core.chunks import Chunk
    from assistant.core.settings import Settings
    from assistant.core.store import ChromaConnection

    connection = ChromaConnection(Settings(_env_file=None, data_dir=data))  # type: ignore[call-arg]
    try:
        store = connection.index.active()
        assert store is not None, f"no index in {data}"
        ids = sorted(store.ids())
        document = store.export(ids[:1])[0][0].document_id
        old, vectors = store.export([i for i in ids if i.startswith(document)] or ids[:1])
        old = [c for c in old if c.document_id == document]
        new = [
            Chunk(id=f"{c.id}-r{round_}", text=f"{c.text} A curator's note, round {round_}.", metadata=c.metadata)
            for c in old
        ]
        store.delete([c.id for c in old])
        store.upsert(new, vectors[: len(new)].tolist())
        connection.index.mark_changed()
    finally:
        connection.close()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--index", type=Path, help="serve a copy of this ingested data directory")
    parser.add_argument("--settle", type=float, default=40, help="seconds to wait before the last memory reading")
    parser.add_argument("--touch", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.touch:
        touch_one_document(Path(args.touch[0]), int(args.touch[1]))
        return
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        if args.index:
            shutil.copytree(args.index, f"{tmp}/data")
        env = {
            **os.environ,
            "WHATWORKS_DATA_DIR": f"{tmp}/data",
            "WHATWORKS_API__RATE_LIMITS": "",
            "WHATWORKS_API__SESSION_RATE_LIMITS": "",
        }
        ingest = [str(BIN / "whatworks-ingest"), str(corpus)]
        if not args.index:
            subprocess.run(ingest, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "whatworks"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/v1/ask"
        edited = sorted(corpus.rglob("*.md"))[5]
        try:
            # a first start at 100,000 chunks with French on encodes 12,500 documents first (about 5 minutes)
            ready = wait_ready(f"http://127.0.0.1:{port}/readyz", server, timeout=900)
            print(f"ready in {ready:.1f} s, resident {resident_mb(server.pid):.0f} MB")
            for round_ in range(1, args.rounds + 1):
                idle = ask_for(url, asked, args.clients, args.seconds)
                change = ingest
                if args.index:
                    change = [sys.executable, __file__, "--touch", f"{tmp}/data", str(round_)]
                else:
                    with edited.open("a", encoding="utf-8") as f:
                        f.write(f"\n\nA curator's note, round {round_}.\n")
                during: list[tuple[float, int]] = []
                load = threading.Thread(
                    target=lambda: during.extend(ask_for(url, asked, args.clients, args.seconds))  # noqa: B023
                )
                load.start()
                time.sleep(2)
                started = time.perf_counter()
                subprocess.run(change, env=env, check=True, capture_output=True)
                took = time.perf_counter() - started
                load.join()
                a, b = [x[0] for x in idle], [x[0] for x in during]
                errors = sum(1 for _, status in idle + during if status != 200)
                print(
                    f"round {round_}: idle p50 {statistics.median(a):.1f} ms, p95 {p95(a):.1f} ms ({len(a)} answers); "
                    f"during a one-file re-ingest ({took:.1f} s) p50 {statistics.median(b):.1f} ms, "
                    f"p95 {p95(b):.1f} ms, max {max(b):.0f} ms ({len(b)}); ratio of p95 {p95(b) / p95(a):.2f}; "
                    f"errors {errors}; resident {resident_mb(server.pid):.0f} MB"
                )
            print(f"resident after the rounds {resident_mb(server.pid):.0f} MB")
            if args.settle > 0:
                # a replaced embedded Chroma system is stopped 10 s after the change that replaced it
                time.sleep(args.settle)
                print(f"resident {args.settle:.0f} s later {resident_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
