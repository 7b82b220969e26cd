"""What the French (multilingual) path costs: start-up, the first French question, and ask p50, beside English-only.

Usage: python benchmarks/french.py [--repeats 3] [--json]

The real corpus is ingested once with the real model into a temporary directory (ingestion is the
same with or without the multilingual path: the French vectors are made from the index, per
snapshot, not at ingestion). Then, alternating so the machine's noise falls on both:
- English-only service (`RETRIEVAL__MULTILINGUAL=false`): English ask p50 and p95;
- multilingual service: the first French question with no warm-up (it makes every document's
  vector), French and English ask p50 and p95 then (each French twin's sentences encoded when first
  quoted); the warm-up the API does at start-up (until ready, and until it has also read the French
  twins' sentences, kept on disk between starts), the first French question after it, and French
  ask p50 and p95 after it.
Questions: the golden set's in-scope questions (English) and french.yaml's (French).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from assistant.core.embeddings import make_embedder  # noqa: E402
from assistant.core.runtime import open_service  # noqa: E402
from assistant.core.settings import EmbeddingSettings, RetrievalSettings, Settings  # noqa: E402
from benchmarks.query import REPO, ingest_real, summary  # noqa: E402


def questions(name: str) -> list[str]:
    data = yaml.safe_load((REPO / "corpus" / "eval" / name).read_text(encoding="utf-8"))
    return [q["question"] for q in data["questions"]]


def timed(service, qs: list[str], repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        for q in qs:
            started = time.perf_counter()
            service.ask(q, face="bench", record=False)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    english, french = questions("questions.yaml")[:60], questions("french.yaml")
    embedder = make_embedder(EmbeddingSettings())
    embedder.load()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        started = time.perf_counter()
        ingest_real(base, embedder)
        ingest_s = time.perf_counter() - started
        english_only = base.model_copy(update={"retrieval": RetrievalSettings(multilingual=False)})
        runs: dict[str, list[float]] = {k: [] for k in ("en_only", "en_multi", "fr_multi", "fr_warm")}
        cold, warm_up, twins, warm_first = [], [], [], []
        for _ in range(args.repeats):
            with open_service(english_only, embedder) as service:
                timed(service, english[:5], 1)
                runs["en_only"] += timed(service, english, 1)
            with open_service(base, embedder) as service:
                timed(service, english[:5], 1)
                started = time.perf_counter()
                service.ask(french[0], face="bench", record=False)
                cold.append((time.perf_counter() - started) * 1000)
                runs["fr_multi"] += timed(service, french, 1)
                runs["en_multi"] += timed(service, english, 1)
            with open_service(base, embedder) as service:
                started = time.perf_counter()
                thread = service.warm_up()
                service._warm.wait()
                warm_up.append((time.perf_counter() - started) * 1000)
                thread.join()  # then the French twins' sentences, read after readiness
                twins.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                service.ask(french[1], face="bench", record=False)
                warm_first.append((time.perf_counter() - started) * 1000)
                runs["fr_warm"] += timed(service, french, 1)
    result = {
        "ingest_s": round(ingest_s, 1),
        "english_only": summary(runs["en_only"]),
        "english_with_multilingual": summary(runs["en_multi"]),
        "french_no_warm_up": summary(runs["fr_multi"]),
        "french_after_warm_up": summary(runs["fr_warm"]),
        "first_french_question_cold_ms": round(statistics.median(cold), 1),
        "warm_up_ms": round(statistics.median(warm_up), 1),
        "warm_up_with_twins_ms": round(statistics.median(twins), 1),
        "first_french_question_after_warm_up_ms": round(statistics.median(warm_first), 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:42} {value}")


if __name__ == "__main__":
    main()
