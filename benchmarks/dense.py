"""Exact in-memory dense search against Chroma's approximate index, at 10,000, 100,000 and 1,000,000 chunks.

Usage: python benchmarks/dense.py [--sizes 10000 100000 1000000] [--queries 200] [--json]

The server holds every chunk's vector in memory (the evidence gate needs them), so its dense search
is a matrix product over them (`EvidenceSnapshot.nearest`) up to `RETRIEVAL__EXACT_SEARCH_MAX_CHUNKS`
chunks, and asks Chroma (`ChromaChunkStore.query`, the store of record) above it. This measures both
on the same vectors, with the project's own two functions: per query p50 and p95, Chroma's recall of
the exact top 10, the matrix's memory, and how long Chroma took to take the vectors in. numpy's BLAS
runs on one thread, as in the server.

The vectors are synthetic, 384 dimensions like all-MiniLM-L6-v2's, clustered as a corpus's are (2,000
topics, each chunk its topic plus noise, unit length), and the queries are new points near random
topics. Each size gets a fresh embedded Chroma in a temporary directory, deleted at the end.
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

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.core.chunks import Chunk  # noqa: E402
from assistant.core.retrieval import EvidenceSnapshot  # noqa: E402

DIMENSION = 384
TOPICS = 2_000
K = 10


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def corpus(size: int, queries: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    topics = unit(rng.standard_normal((TOPICS, DIMENSION)))
    vectors = np.empty((size, DIMENSION), dtype=np.float32)
    step = 100_000  # made in slices: a million rows at once would need several GB of float64 noise
    for start in range(0, size, step):
        n = min(step, size - start)
        picked = topics[rng.integers(0, TOPICS, n)]
        vectors[start : start + n] = unit(picked + 0.9 * rng.standard_normal((n, DIMENSION)) / np.sqrt(DIMENSION))
    near = topics[rng.integers(0, TOPICS, queries)]
    asked = unit(near + rng.standard_normal((queries, DIMENSION)) / np.sqrt(DIMENSION))
    return vectors, asked


class Matrix:
    """What `EvidenceSnapshot.nearest` reads of a snapshot: its vectors and chunks, no filters."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.chunks = [Chunk(id=f"c{i}", text="", metadata={}) for i in range(len(vectors))]

    def mask(self, filters: object) -> None:
        return None


def exact(matrix: Matrix, query: np.ndarray) -> list[str]:
    return [chunk.id for chunk, _ in EvidenceSnapshot.nearest(matrix, query, K)]  # type: ignore[arg-type]


def chroma_store(folder: Path, vectors: np.ndarray) -> tuple[object, float]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.core.store import ChromaChunkStore

    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("bench", configuration={"hnsw": {"space": "cosine"}})
    store = ChromaChunkStore(collection)
    started = time.perf_counter()
    batch = 5_000
    for start in range(0, len(vectors), batch):
        rows = vectors[start : start + batch]
        chunks = [
            Chunk(id=f"c{start + i}", text=f"chunk {start + i}", metadata={"document_id": f"d{(start + i) // 8}"})
            for i in range(len(rows))
        ]
        store.upsert(chunks, rows)
    return store, time.perf_counter() - started


def measure(size: int, queries: int) -> dict[str, float]:
    vectors, asked = corpus(size, queries)
    matrix = Matrix(vectors)
    truth = []
    exact_ms = []
    for query in asked:
        started = time.perf_counter()
        truth.append(exact(matrix, query))
        exact_ms.append((time.perf_counter() - started) * 1000)
    with tempfile.TemporaryDirectory(prefix="whatworks-dense-") as tmp:
        store, load_s = chroma_store(Path(tmp), vectors)
        for query in asked[:5]:  # the index's pages into memory
            store.query(query.tolist(), K)  # type: ignore[attr-defined]
        chroma_ms = []
        found = 0
        for query, wanted in zip(asked, truth, strict=True):
            started = time.perf_counter()
            hits = store.query(query.tolist(), K)  # type: ignore[attr-defined]
            chroma_ms.append((time.perf_counter() - started) * 1000)
            found += len({chunk.id for chunk, _ in hits} & set(wanted))
        collection = store._collection  # type: ignore[attr-defined]
        index_ms = []
        index_found = 0
        for query, wanted in zip(asked, truth, strict=True):
            started = time.perf_counter()
            ids = collection.query(query_embeddings=[query.tolist()], n_results=K, include=[])["ids"][0]
            index_ms.append((time.perf_counter() - started) * 1000)
            index_found += len(set(ids) & set(wanted))
    return {
        "chunks": size,
        "matrix_mb": vectors.nbytes / 2**20,
        "exact_p50_ms": statistics.median(exact_ms),
        "exact_p95_ms": float(np.percentile(exact_ms, 95)),
        "chroma_p50_ms": statistics.median(chroma_ms),
        "chroma_p95_ms": float(np.percentile(chroma_ms, 95)),
        "chroma_recall": found / (K * len(asked)),
        "index_p50_ms": statistics.median(index_ms),
        "index_p95_ms": float(np.percentile(index_ms, 95)),
        "index_recall": index_found / (K * len(asked)),
        "chroma_load_s": load_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    print(
        f"{'chunks':>10} {'matrix':>9} {'exact p50/p95':>16} {'store query p50/p95':>20} {'recall':>7}"
        f" {'index alone p50/p95':>20} {'recall':>7} {'Chroma load':>12}"
    )
    for size in args.sizes:
        r = measure(size, args.queries)
        results.append(r)
        print(
            f"{size:>10,} {r['matrix_mb']:>7.0f}MB {r['exact_p50_ms']:>7.2f}/{r['exact_p95_ms']:<6.2f}ms "
            f"{r['chroma_p50_ms']:>10.2f}/{r['chroma_p95_ms']:<7.2f}ms {r['chroma_recall']:>7.3f} "
            f"{r['index_p50_ms']:>10.2f}/{r['index_p95_ms']:<7.2f}ms {r['index_recall']:>7.3f} "
            f"{r['chroma_load_s']:>10.0f}s",
            flush=True,
        )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
