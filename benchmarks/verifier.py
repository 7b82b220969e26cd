"""How long the sentence verifier takes per sentence, on a labelled claim file (median and p95).

    python benchmarks/verifier.py [corpus/eval/claims/dev.jsonl] [--rounds 3]

Each claim is checked as an answer checks an LLM sentence: the passage's embedding is cached
after its first sentence (an answer cites a handful of passages for several sentences), the
sentence itself is embedded each time. Printed: p50 and p95 per sentence in ms, for the
verifier as answers use it (with the judge), without the judge, and the rule checks alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.core.embeddings import make_embedder  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.verification.claimset import corpus_documents, rated_names, read_claims  # noqa: E402
from assistant.core.verification.judge import make_judge  # noqa: E402
from assistant.core.verification.reading import read  # noqa: E402
from assistant.core.verification.verifier import SentenceVerifier  # noqa: E402


def measure(verifier: SentenceVerifier, claims: list, rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        read.cache_clear()
        verifier._vectors.clear()
        for claim in claims:
            # warm the passage as an answer would have, then time the sentence
            verifier._similarity("warm", [p.text for p in claim.passages.values()])
            started = time.perf_counter()
            verifier.check(claim.claim, claim.passages)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default="corpus/eval/claims/dev.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    documents = corpus_documents(Settings().corpus_dir)
    claims, errors = read_claims(Path(args.file), documents)
    rated = rated_names(documents)  # as answers check: knowing every program's verdict
    assert not errors, errors
    embedder = make_embedder(Settings().embedding)
    embedder.embed_query("load the model")
    settings = Settings()
    judge = make_judge(settings.verification, settings.embedding)  # as answers run it: ONNX Runtime
    assert judge is not None
    judge.support([("load", "the model")])
    verifiers = (
        ("rules + embedding + judge", SentenceVerifier(embedder, judge=judge, rated=rated)),
        ("rules + embedding", SentenceVerifier(embedder, rated=rated)),
        ("rules only", SentenceVerifier(None, rated=rated)),
    )
    for name, verifier in verifiers:
        times = sorted(measure(verifier, claims, args.rounds))
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{name:26} {len(times)} sentences: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
