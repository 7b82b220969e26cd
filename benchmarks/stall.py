"""Do questions stall while an ingestion runs beside the server? p50/p95 idle, then during a one-file re-ingest.

Usage: python benchmarks/stall.py [--rounds 2] [--seconds 15] [--clients 2]

The real corpus is copied and ingested into a temporary directory, and `whatworks serve` answers on
a free loopback port. Each round keeps N clients asking the golden set's first 20 questions for the
given seconds, first idle, then while a separate `whatworks-ingest` process re-ingests the corpus
after one file was edited (the goal: p95 during it at most twice the idle p95). Every process is
stopped at the end.
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
from load import BIN, free_port, questions, wait_ready  # noqa: E402


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


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        env = {
            **os.environ,
            "WHATWORKS_DATA_DIR": f"{tmp}/data",
            "WHATWORKS_API__RATE_LIMITS": "",
            "WHATWORKS_API__SESSION_RATE_LIMITS": "",
        }
        ingest = [str(BIN / "whatworks-ingest"), str(corpus)]
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
            wait_ready(f"http://127.0.0.1:{port}/readyz", server)
            for round_ in range(1, args.rounds + 1):
                idle = ask_for(url, asked, args.clients, args.seconds)
                with edited.open("a", encoding="utf-8") as f:
                    f.write(f"\n\nA curator's note, round {round_}.\n")
                during: list[tuple[float, int]] = []
                load = threading.Thread(
                    target=lambda: during.extend(ask_for(url, asked, args.clients, args.seconds))  # noqa: B023
                )
                load.start()
                time.sleep(2)
                started = time.perf_counter()
                subprocess.run(ingest, env=env, check=True, capture_output=True)
                took = time.perf_counter() - started
                load.join()
                a, b = [x[0] for x in idle], [x[0] for x in during]
                errors = sum(1 for _, status in idle + during if status != 200)
                print(
                    f"round {round_}: idle p50 {statistics.median(a):.1f} ms, p95 {p95(a):.1f} ms ({len(a)} answers); "
                    f"during a one-file re-ingest ({took:.1f} s) p50 {statistics.median(b):.1f} ms, "
                    f"p95 {p95(b):.1f} ms, max {max(b):.0f} ms ({len(b)}); ratio of p95 {p95(b) / p95(a):.2f}; "
                    f"errors {errors}"
                )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
