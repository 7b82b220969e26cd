"""Latency of the extractive `ask`: p50 and p95, in-process and over HTTP, on the real corpus and on 10,000 chunks.

Usage: python benchmarks/query.py [--repeats 3] [--json]

The real corpus is ingested with the real model into a temporary directory. The synthetic
corpus repeats the real chunks' sentences in new combinations (so BM25 sees real words)
with the real chunks' vectors plus noise (so Chroma's index does real work) until there are
10,000 chunks. Questions are the golden set's in-scope questions. Each run is measured after
a warm-up; medians and p95 are over every question and repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from assistant.api.app import create_app  # noqa: E402
from assistant.core.chunks import Chunk  # noqa: E402
from assistant.core.embeddings import Embedder, make_embedder  # noqa: E402
from assistant.core.runtime import open_service  # noqa: E402
from assistant.core.settings import EmbeddingSettings, Settings  # noqa: E402
from assistant.core.store import open_chroma  # noqa: E402
from ingest.chunking import chunker_for  # noqa: E402
from ingest.sync import CorpusSync  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(percentile(values, 0.95), 1)}


def ingest_real(settings: Settings, embedder: Embedder) -> None:
    chunker = chunker_for(embedder, settings.embedding)
    with open_chroma(settings) as index:
        CorpusSync(index, embedder, chunker, 20_000_000).run([REPO / "corpus"])


def build_synthetic(settings: Settings, source: Settings, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open_chroma(source) as index:
        store = index.active()
        assert store is not None
        chunks, vectors = store.export(sorted(store.records()))
    sentences = [s.strip() + "." for c in chunks for s in c.text.split(". ") if len(s.split()) > 4]
    base = np.asarray(vectors, dtype=np.float32)
    out_chunks: list[Chunk] = []
    out_vectors: list[list[float]] = []
    noise = np.random.default_rng(seed)
    for i in range(size):
        template = chunks[i % len(chunks)]
        text = " ".join(rng.sample(sentences, 4))
        meta = dict(template.metadata) | {"document_id": f"synthetic-{i // 8}", "chunk_index": i % 8}
        out_chunks.append(Chunk(id=f"synthetic-{i}", text=text, metadata=meta))
        v = base[i % len(base)] + noise.normal(0, 0.05, base.shape[1]).astype(np.float32)
        out_vectors.append((v / np.linalg.norm(v)).tolist())
    with open_chroma(settings) as index:
        store = index.active(create=True)
        assert store is not None
        store.upsert(out_chunks, out_vectors)
        index.mark_changed()
    if settings.retrieval.multilingual and settings.prepare_multilingual:
        # as `whatworks-ingest` does: the server then starts without encoding 12,500 documents for French
        from assistant.core.crosslingual import UniversalSentenceEncoder, prepare_vectors

        prepare_vectors(UniversalSentenceEncoder(), settings.vector_cache, out_chunks)


def time_in_process(settings: Settings, embedder, questions: list[str], repeats: int) -> list[float]:
    with open_service(settings, embedder) as service:
        for q in questions[:5]:
            service.ask(q, face="bench")
        times = []
        for _ in range(repeats):
            for q in questions:
                started = time.perf_counter()
                service.ask(q, face="bench")
                times.append((time.perf_counter() - started) * 1000)
    return times


def time_over_http(settings: Settings, embedder, questions: list[str], repeats: int) -> list[float]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, embedder), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/v1/ask"
    times = []
    try:
        with httpx.Client(timeout=60) as client:
            for q in questions[:5]:
                client.post(url, json={"question": q})
            for _ in range(repeats):
                for q in questions:
                    started = time.perf_counter()
                    response = client.post(url, json={"question": q})
                    times.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return times


def serve_and_measure(settings: Settings, questions: list[str]) -> dict[str, float]:
    """`whatworks serve` in its own process on the index: seconds to /readyz, and its resident memory
    once ready and after answering the questions once."""
    import subprocess

    from benchmarks.load import free_port, resident_mb, wait_ready

    port = free_port()
    env = {
        **os.environ,
        "WHATWORKS_DATA_DIR": str(settings.data_dir),
        "WHATWORKS_API__RATE_LIMITS": "",
        "WHATWORKS_API__SESSION_RATE_LIMITS": "",
    }
    bin_dir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bin_dir / "whatworks"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz", proc, timeout=900)
        at_ready = resident_mb(proc.pid)
        with httpx.Client(timeout=60) as client:
            for q in questions:
                client.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": q}).raise_for_status()
        return {"ready_s": round(ready, 1), "rss_ready_mb": round(at_ready), "rss_mb": round(resident_mb(proc.pid))}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=10_000, help="chunks in the synthetic corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "sentence-transformers"])
    parser.add_argument("--keep", type=Path, help="copy the synthetic data directory here (for benchmarks/stall.py)")
    args = parser.parse_args()
    questions = [q["question"] for q in yaml.safe_load((REPO / "corpus/eval/questions.yaml").read_text())["questions"]]
    embedder = make_embedder(EmbeddingSettings(backend=args.backend))
    embedder.load()  # type: ignore[attr-defined]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the benchmark asks from one address far faster than a member: no abuse limits
        real = Settings(_env_file=None, data_dir=Path(tmp) / "real", api={"rate_limits": "", "session_rate_limits": ""})  # type: ignore[call-arg]
        synthetic = Settings(
            _env_file=None, data_dir=Path(tmp) / "synthetic", api={"rate_limits": "", "session_rate_limits": ""}
        )  # type: ignore[call-arg]
        ingest_real(real, embedder)
        build_synthetic(synthetic, real, args.size)
        served: dict[str, dict[str, float]] = {}
        for name, settings in (("real corpus", real), (f"synthetic {args.size} chunks", synthetic)):
            results[f"{name}, in-process"] = summary(time_in_process(settings, embedder, questions, args.repeats))
            results[f"{name}, HTTP"] = summary(time_over_http(settings, embedder, questions, args.repeats))
            served[name] = serve_and_measure(settings, questions)
        if args.keep:
            shutil.copytree(synthetic.data_dir, args.keep, dirs_exist_ok=True)
    for name, r in results.items():
        print(f"{name:38} p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms")
    for name, m in served.items():
        print(
            f"{name:38} whatworks serve: ready in {m['ready_s']:.1f} s; resident {m['rss_ready_mb']:.0f} MB at ready, "
            f"{m['rss_mb']:.0f} MB after the questions"
        )
    if args.json:
        print(json.dumps({"latency": results, "served": served}))


if __name__ == "__main__":
    main()
