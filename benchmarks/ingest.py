"""Ingestion speed beside the tutorial LangChain pipeline, on the same SciFact abstracts written as files.

Usage: python benchmarks/ingest.py [--docs 1000] [--pairs 3] [--json] [--data ../shared/benchmarks/scifact]

Each run is a fresh process on a fresh index, model load included, the two pipelines alternating so
the machine's noise falls on both:
- project: `whatworks-ingest` on the folder (front matter checked, token-bounded chunks, hybrid index),
  with each document's multilingual vector made ahead for French questions (the default);
- english: the same with `WHATWORKS_PREPARE_MULTILINGUAL=false` (the server makes those vectors itself,
  at its first start): the work the tutorial pipeline also does;
- tutorial: the files read as text, RecursiveCharacterTextSplitter(1000, 200), all-MiniLM-L6-v2 through a
  LangChain `Embeddings` that calls SentenceTransformer.encode as HuggingFaceEmbeddings does, and
  langchain-chroma's `Chroma.from_documents`. (langchain-huggingface itself needs huggingface-hub < 2,
  which the transformers release here cannot use; the calls it makes are the same.)
Printed per pipeline: medians of documents/s, chunks/s, tokens embedded/s and peak memory, the ratio,
and each one's nDCG@10 on the SciFact queries whose relevant abstracts are among those ingested (the
project through its hybrid retrieval, the tutorial through `similarity_search(k=10)`).
Then an unchanged re-ingest and a one-file change, timed the same way (the goal: ≤ 2 s and ≤ 3 s plus
model load). Needs the `bench` extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "scifact"


def write_corpus(data: Path, folder: Path, count: int) -> dict[str, str]:
    """The first `count` abstracts as Markdown files with front matter; returns file stem -> SciFact id."""
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        corpus = [json.loads(line) for _, line in zip(range(count), f, strict=False)]
    folder.mkdir(parents=True, exist_ok=True)
    ids = {}
    for doc in corpus:
        stem = f"scifact-{doc['_id']}"
        title = " ".join(doc["title"].split())[:190] or stem
        front = {"id": stem, "title": title if len(title) >= 3 else stem, "kind": "review", "verdict": "not-rated"}
        text = "---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n\n# Abstract\n\n" + doc["text"] + "\n"
        (folder / f"{stem}.md").write_text(text, encoding="utf-8")
        ids[stem] = doc["_id"]
    return ids


# -- the children: one pipeline per process ------------------------------------------------


def child_project(folder: Path, data_dir: Path, english_only: bool = False) -> dict[str, float]:
    os.environ["WHATWORKS_DATA_DIR"] = str(data_dir)
    if english_only:
        os.environ["WHATWORKS_PREPARE_MULTILINGUAL"] = "false"
    from ingest.cli import app

    started = time.perf_counter()
    try:
        app([str(folder), "--json"], standalone_mode=False)
    except SystemExit:
        pass
    seconds = time.perf_counter() - started
    done = time.time()
    from assistant.core.settings import Settings
    from assistant.core.store import open_chroma

    with open_chroma(Settings(_env_file=None, data_dir=data_dir)) as index:  # type: ignore[call-arg]
        store = index.active()
        texts = [c.context_text() for c in store.export(sorted(store.records()))[0]] if store else []
    return {"seconds": seconds, "done": done, "chunks": len(texts), "tokens": _tokens(texts)}


class STEmbeddings:
    """What HuggingFaceEmbeddings does: SentenceTransformer.encode, one call per list of texts."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from assistant.core.embeddings import resolve_model_dir

        self.model = SentenceTransformer(str(resolve_model_dir("all-MiniLM-L6-v2")), device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.model.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def child_tutorial(folder: Path, data_dir: Path) -> dict[str, float]:
    started = time.perf_counter()
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class Wrapped(STEmbeddings, Embeddings):  # type: ignore[misc]
        pass

    docs = [Document(p.read_text(encoding="utf-8"), metadata={"source": p.stem}) for p in sorted(folder.glob("*.md"))]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    Chroma.from_documents(chunks, Wrapped(), persist_directory=str(data_dir / "tutorial"))
    seconds = time.perf_counter() - started
    done = time.time()
    return {
        "seconds": seconds,
        "done": done,
        "chunks": len(chunks),
        "tokens": _tokens([c.page_content for c in chunks]),
    }


def _tokens(texts: list[str]) -> int:
    from transformers import AutoTokenizer

    from assistant.core.embeddings import resolve_model_dir

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model_dir("all-MiniLM-L6-v2")))
    # what the model reads: at most 256 word pieces per text
    return sum(min(256, len(ids)) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"])


def child_quality(kind: str, data_dir: Path, data: Path, ids: dict[str, str]) -> dict[str, float]:
    """nDCG@10 over the queries whose relevant abstracts were all ingested."""
    from benchmarks.scifact import load, ndcg_at_10

    _, queries, qrels = load(data)
    have = set(ids.values())
    chosen = {q: t for q, t in queries.items() if qrels[q] <= have}
    if kind == "project":
        from assistant.core.embeddings import make_embedder
        from assistant.core.retrieval import EvidenceSnapshot, HybridRetriever
        from assistant.core.settings import EmbeddingSettings, RetrievalSettings, Settings
        from assistant.core.store import open_chroma

        embedder = make_embedder(EmbeddingSettings())
        retriever = HybridRetriever(embedder, RetrievalSettings(candidates=100))
        with open_chroma(Settings(_env_file=None, data_dir=data_dir)) as index:  # type: ignore[call-arg]
            store = index.active()
            assert store is not None
            snapshot = EvidenceSnapshot(store, "bench")

            def ranked(text: str) -> list[str]:
                passages = retriever.retrieve(snapshot, text, k=100, mode="hybrid")
                return list(dict.fromkeys(ids[p.chunk.document_id] for p in passages))

            scores = [ndcg_at_10(ranked(t), qrels[q]) for q, t in chosen.items()]
    else:
        from langchain_chroma import Chroma
        from langchain_core.embeddings import Embeddings

        class Wrapped(STEmbeddings, Embeddings):  # type: ignore[misc]
            pass

        store = Chroma(persist_directory=str(data_dir / "tutorial"), embedding_function=Wrapped())
        scores = []
        for q, t in chosen.items():
            found = store.similarity_search(t, k=30)
            ranked = list(dict.fromkeys(ids[d.metadata["source"]] for d in found))
            scores.append(ndcg_at_10(ranked, qrels[q]))
    return {"ndcg@10": sum(scores) / len(scores), "queries": len(scores)}


def run_child(*args: str) -> dict[str, float]:
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, timeout=3600, cwd=REPO
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # from the process's start to the end of its work: the counting of chunks and tokens afterwards
    # (an export and a tokenizer load, about 4 s) is not part of either pipeline
    result["wall"] = result.get("done", time.time()) - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "quality":
            which, data_dir, ids_file = rest
            result = child_quality(which, Path(data_dir), args.data, json.loads(Path(ids_file).read_text()))
        else:
            folder, data_dir = map(Path, rest)
            if kind == "tutorial":
                result = child_tutorial(folder, data_dir)
            else:
                result = child_project(folder, data_dir, english_only=kind == "english")
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "corpus"
        ids = write_corpus(args.data, folder, args.docs)
        ids_file = root / "ids.json"
        ids_file.write_text(json.dumps(ids))
        runs: dict[str, list[dict[str, float]]] = {"tutorial": [], "project": [], "english": []}
        for pair in range(args.pairs):
            for kind in ("tutorial", "project", "english") if pair % 2 == 0 else ("english", "project", "tutorial"):
                data_dir = root / f"{kind}-{pair}"
                runs[kind].append(run_child(kind, str(folder), str(data_dir)))
                r = runs[kind][-1]
                print(f"{kind:9} run {pair + 1}: {r['wall']:.1f}s wall, {r['chunks']:.0f} chunks", file=sys.stderr)
                if pair < args.pairs - 1:
                    shutil.rmtree(data_dir)
        last = args.pairs - 1
        quality = {
            k: run_child("quality", "project" if k == "english" else k, str(root / f"{k}-{last}"), str(ids_file))
            for k in runs
        }
        # the project's index of the last pair, ingested again unchanged, then with one file changed
        project_dir = str(root / f"project-{last}")
        again = run_child("project", str(folder), project_dir)
        first = sorted(folder.glob("*.md"))[0]
        first.write_text(first.read_text(encoding="utf-8") + "\nOne more sentence, added.\n", encoding="utf-8")
        one = run_child("project", str(folder), project_dir)

    summary: dict[str, dict[str, float]] = {}
    for kind, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        summary[kind] = {
            "wall_s": round(wall, 1),
            "docs_per_s": round(args.docs / wall, 2),
            "chunks": rs[0]["chunks"],
            "chunks_per_s": round(rs[0]["chunks"] / wall, 1),
            "tokens_per_s": round(rs[0]["tokens"] / wall),
            "peak_mb": round(max(r["peak_mb"] for r in rs)),
            "ndcg@10": round(quality[kind]["ndcg@10"], 4),
        }
    ratio = summary["project"]["docs_per_s"] / summary["tutorial"]["docs_per_s"]
    english = summary["english"]["docs_per_s"] / summary["tutorial"]["docs_per_s"]
    print(f"{args.docs} SciFact abstracts as Markdown files, {args.pairs} alternating pairs (medians):")
    for kind, s in summary.items():
        print(
            f"  {kind:9} {s['wall_s']:7.1f}s  {s['docs_per_s']:6.2f} docs/s  {s['chunks']:.0f} chunks "
            f"({s['chunks_per_s']:.1f}/s)  {s['tokens_per_s']:.0f} tokens/s  peak {s['peak_mb']:.0f} MB  "
            f"nDCG@10 {s['ndcg@10']:.3f}"
        )
    print(f"  project / tutorial, documents per second: {ratio:.2f}x (English only: {english:.2f}x)")
    print(f"  nDCG@10 over {quality['project']['queries']:.0f} queries whose abstracts were all ingested")
    print(f"  re-ingest unchanged: {again['wall']:.1f}s wall ({again['seconds']:.1f}s after start-up)")
    print(f"  one file changed:    {one['wall']:.1f}s wall ({one['seconds']:.1f}s after start-up)")
    if args.json:
        print(
            json.dumps(
                summary
                | {
                    "ratio": round(ratio, 3),
                    "english_ratio": round(english, 3),
                    "unchanged_s": again["wall"],
                    "one_changed_s": one["wall"],
                }
            )
        )


if __name__ == "__main__":
    main()
