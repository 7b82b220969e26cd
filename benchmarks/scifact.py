"""BEIR SciFact through the project's own retrieval path: nDCG@10 and recall@100 for BM25, dense and hybrid.

Usage: python benchmarks/scifact.py [--json] [--data ../shared/benchmarks/scifact] [--variants]

The abstracts become chunks in a temporary Chroma collection (embedded with the shipped
all-MiniLM-L6-v2); queries go through `HybridRetriever` exactly as members' questions do.
Embeddings are cached under benchmarks/.cache so re-runs and variants are quick.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.core.chunks import Chunk  # noqa: E402
from assistant.core.embeddings import Embedder, make_embedder  # noqa: E402
from assistant.core.retrieval import EvidenceSnapshot, HybridRetriever  # noqa: E402
from assistant.core.settings import EmbeddingSettings, RetrievalSettings, Settings  # noqa: E402
from assistant.core.store import ChromaConnection  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "scifact"
CACHE = Path(__file__).resolve().parent / ".cache"


def load(data: Path) -> tuple[list[dict], dict[str, str], dict[str, set[str]]]:
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (data / "queries.jsonl").read_text().splitlines())}
    qrels: dict[str, set[str]] = {}
    for line in (data / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, set()).add(did)
    return corpus, {q: queries[q] for q in qrels}, qrels


def chunks_of(corpus: list[dict], with_title: bool) -> list[Chunk]:
    # The title goes where our documents keep theirs (chunk metadata), so context_text() prefixes it.
    return [
        Chunk(
            id=d["_id"], text=d["text"], metadata={"document_id": d["_id"], "title": d["title"] if with_title else ""}
        )
        for d in corpus
    ]


def embeddings(embedder: Embedder, chunks: list[Chunk]) -> np.ndarray:
    texts = [c.context_text().strip() for c in chunks]
    name = getattr(embedder, "identity", type(embedder).__name__)
    # int8 vectors depend on the batch they were made in (one activation scale per batch)
    name += f"/batch{getattr(getattr(embedder, 'settings', None), 'batch_size', '')}"
    key = hashlib.sha256((name + "\x1e".join(texts)).encode()).hexdigest()[:16]
    path = CACHE / f"scifact-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    print(f"embedded {len(texts)} abstracts in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    np.save(path, vectors)
    return vectors


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def evaluate(snapshot: EvidenceSnapshot, retriever: HybridRetriever, queries, qrels, qvecs, mode) -> dict[str, float]:
    ndcg = recall = 0.0
    for qid, text in queries.items():
        passages = retriever.retrieve(snapshot, text, k=100, mode=mode, query_vector=qvecs[qid])
        ranked = [p.chunk.id for p in passages]
        ndcg += ndcg_at_10(ranked, qrels[qid])
        recall += len(set(ranked[:100]) & qrels[qid]) / len(qrels[qid])
    return {"ndcg@10": round(ndcg / len(queries), 4), "recall@100": round(recall / len(queries), 4)}


def run(data: Path, variants: bool, backend: str = "onnx", precision: str = "fp32") -> dict[str, dict[str, float]]:
    corpus, queries, qrels = load(data)
    embedder = make_embedder(EmbeddingSettings(backend=backend, precision=precision))  # type: ignore[arg-type]
    qv = np.asarray(embedder.embed_documents(list(queries.values())), dtype=np.float32)
    qvecs = dict(zip(queries, qv.tolist(), strict=True))
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        connection = ChromaConnection(settings)
        try:
            for with_title in [True, False] if variants else [True]:
                chunks = chunks_of(corpus, with_title)
                store = connection.index.staging()
                store.upsert(chunks, embeddings(embedder, chunks).tolist())
                tag = "" if with_title else "no-title/"
                for stem in [True, False] if variants else [True]:
                    snapshot = EvidenceSnapshot(store, "bench", stem=stem)
                    base = RetrievalSettings(candidates=100)
                    retriever = HybridRetriever(embedder, base)
                    s = "" if stem else "unstemmed/"
                    for mode in ("bm25", "dense", "hybrid"):
                        if mode == "dense" and not stem:
                            continue
                        results[f"{tag}{s}{mode}"] = evaluate(snapshot, retriever, queries, qrels, qvecs, mode)
                    if variants and with_title and stem:
                        for dw, bw, k in [(1.0, 1.5, 60), (1.5, 1.0, 60), (1.0, 1.0, 20), (1.0, 1.0, 100)]:
                            tuned = HybridRetriever(
                                embedder, base.model_copy(update={"dense_weight": dw, "bm25_weight": bw, "rrf_k": k})
                            )
                            results[f"hybrid dense={dw} bm25={bw} k={k}"] = evaluate(
                                snapshot, tuned, queries, qrels, qvecs, "hybrid"
                            )
        finally:
            connection.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true", help="end with bm25/dense/hybrid as one JSON line")
    parser.add_argument("--variants", action="store_true", help="also stemming off, no titles, fusion weights")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "sentence-transformers"])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "int8"], help="ONNX weights")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(args.data, args.variants, args.backend, args.precision)
    for name, metrics in results.items():
        print(f"{name:40} nDCG@10 {metrics['ndcg@10']:.3f}   recall@100 {metrics['recall@100']:.3f}")
    print(f"({time.perf_counter() - started:.0f}s)")
    if args.json:
        print(json.dumps({k: results[k] for k in ("bm25", "dense", "hybrid")}))


if __name__ == "__main__":
    main()
