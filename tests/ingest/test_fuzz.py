"""Whatever a file contains, its failure is its own: generated Markdown, HTML and text never stop a run.

A seeded generator writes hundreds of odd files (over-long and empty headings, heading-only
documents, broken front matter, unclosed tags, control characters, invalid UTF-8, furniture
only); one sync over all of them must finish, ingest the good document beside them, and report
every file it refused with its path and a reason.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.core.embeddings import FakeEmbedder
from assistant.core.store import MemoryChunkStore
from ingest.chunking import Chunker
from ingest.sync import CorpusSync

GOOD = """---
id: good-document
title: A good document
kind: program
verdict: effective
---
## Summary

Street lighting was followed by fewer burglaries.
"""

WORDS = [
    "crime",
    "youth",
    "Scared",
    "Straight",
    "G.R.E.A.T.",
    "Jeffrey A. Butts",
    "e.g.",
    "No. 3",
    "—",
    "日本",
    "é",
    "\u200b",
    "\u00ad",
    "<b>",
    "&amp;",
    "|",
    "#",
    "---",
    ":",
    "Date Published",
    "Annotation",
    "Source:",
    "https://example.org/x",
    "rated Effective by CrimeSolutions",
    "skip navigation",
    "Subscribe",
    "\t",
    "1.",
]


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def markdown(rng: random.Random) -> str:
    parts = []
    kind = rng.randrange(8)
    if kind == 0:
        parts.append(
            "---\n" + "\n".join(f"{phrase(rng, 1)}: {phrase(rng, 2)}" for _ in range(rng.randrange(4))) + "\n---\n"
        )
    elif kind == 1:
        parts.append(f"---\nid: {phrase(rng, 1)}\ntitle: {phrase(rng, rng.randrange(0, 90))}\n---\n")
    elif kind == 2:
        parts.append("---\nid: x\ntitle: [unclosed\n")
    for _ in range(rng.randrange(0, 6)):
        level = "#" * rng.randint(1, 6)
        parts.append(f"{level} {phrase(rng, rng.choice([0, 1, 5, 60, 400]))}\n")
        if rng.random() < 0.6:
            parts.append(phrase(rng, rng.randrange(0, 80)) + "\n\n")
    return "".join(parts)


def html(rng: random.Random) -> str:
    tags = ["div", "p", "main", "article", "nav", "h1", "h2", "li", "ul", "script", "table", "td", "span", "footer"]
    out = []
    for _ in range(rng.randrange(0, 40)):
        tag = rng.choice(tags)
        out.append(f"<{tag} class='{phrase(rng, 1)}'>{phrase(rng, rng.randrange(0, 30))}")
        if rng.random() < 0.5:
            out.append(f"</{tag}>")
    if rng.random() < 0.3:
        out.insert(0, f"<title>{phrase(rng, rng.choice([0, 3, 300]))}</title>")
    return "".join(out)


def text(rng: random.Random) -> str:
    lines = [phrase(rng, rng.choice([0, 1, 4, 30, 500])) for _ in range(rng.randrange(0, 12))]
    if rng.random() < 0.2:
        lines.insert(0, "Source: " + rng.choice(["https://example.gov/page", "not a url", "https://"]))
    return "\n".join(lines)


def raw_bytes(rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    if choice == 1:
        return b"\x00\x01 control \x7f" * rng.randrange(1, 20)
    if choice == 2:
        return (phrase(rng, 20) + "\n").encode("utf-16")
    return b"   \n\n \t "


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_over_generated_files_finishes_and_reports_each_refusal(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    names = []
    for i in range(120):
        suffix, content = rng.choice(
            [(".md", markdown), (".html", html), (".txt", text), (".md", raw_bytes), (".htm", raw_bytes)]
        )
        name = f"f{i:03d}-{rng.choice(['x', 'Ünï', '--', 'GPS CCTV', 'a' * 120])}{suffix}"
        value = content(rng)
        path = corpus / name
        if isinstance(value, bytes):
            path.write_bytes(value)
        else:
            path.write_text(value, encoding="utf-8", errors="surrogatepass")
        names.append(name)

    store = MemoryChunkStore()
    embedder = FakeEmbedder()
    sync = CorpusSync(None, embedder, Chunker(embedder.count_tokens, 200, 30, 256), 10_000_000, store=store)
    report = sync.run([corpus])  # must not raise, whatever the files hold

    assert report.added + report.failed == len(names) + 1
    assert "good-document" in {str(m.get("document_id")) for m in store.records().values()}
    assert len(report.errors) == report.failed
    for error in report.errors:
        assert error.startswith(str(corpus)) or error.startswith("tests/") or "/corpus/" in error, error
        assert len(error) < 1000
    failed_names = {Path(e.split(":")[0]).name for e in report.errors}
    for document in report.documents:
        assert Path(document.source).name not in failed_names
        assert 3 <= len(document.title) <= 200
