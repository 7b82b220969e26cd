"""Real public pages dropped in as curators save them: clean quotes, their link, their title, a suggested rating.

The pages under tests/fixtures/real-pages are verbatim US federal pages (public domain), listed
with their source, the clutter each carries and a phrase of its main text in SOURCES.yaml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.core.answering.extractive import sentence_units
from assistant.core.answering.text import split_sentences
from assistant.core.embeddings import Embedder
from assistant.core.evidence import EvidenceVerdict
from ingest.chunking import Chunker
from ingest.loaders import LoadedDocument
from ingest.sync import CorpusSync, DocumentReport, SyncReport
from tests.helpers import run_ingest

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "tests" / "fixtures" / "real-pages"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((REAL / "SOURCES.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pages(embedder: Embedder) -> dict[str, tuple[LoadedDocument, list[str]]]:
    """Each page as ingestion loads and chunks it (boilerplate shared across pages included)."""
    chunker = Chunker(embedder.count_tokens, 200, 30, 256)
    sync = CorpusSync(None, embedder, chunker, max_file_bytes=10_000_000)
    report = SyncReport()
    docs = sync.load_all([REAL], report)
    assert report.failed == 0, report.errors
    out = {}
    for source, doc in docs.items():
        out[Path(source).name] = (doc, [c.text for c in chunker.split(doc, source)])
    return out


def test_the_fixture_set_is_what_the_issue_asks() -> None:
    assert len(ENTRIES) >= 10
    for entry in ENTRIES:
        assert (REAL / entry["file"]).is_file(), entry["file"]
        assert entry["url"].startswith(("http://", "https://"))
        assert "public domain" in entry["licence"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_no_chunk_carries_page_furniture(entry: dict[str, Any], pages: dict[str, Any]) -> None:
    doc, chunks = pages[entry["file"]]
    assert chunks, "the page's text was lost"
    for text in chunks:
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        assert not any(line.lower().startswith(("source:", "url:")) for line in lines), text
        assert not any(re.fullmatch(r"<?https?://\S+>?", line) for line in lines), text
        for clutter in entry["clutter"]:
            clutter = " ".join(clutter.split())
            if len(clutter.split()) >= 3:
                assert clutter not in " ".join(lines), f"{clutter!r} in a chunk of {entry['file']}"
            else:  # a short label: never a line of its own, never "Label: value"
                assert clutter not in lines, f"{clutter!r} in a chunk of {entry['file']}"
                assert not any(line.startswith(f"{clutter}:") for line in lines), entry["file"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_each_page_keeps_its_text_its_link_and_its_title(entry: dict[str, Any], pages: dict[str, Any]) -> None:
    doc, chunks = pages[entry["file"]]
    assert any(entry["answer_phrase"] in " ".join(text.split()) for text in chunks), "main text lost"
    assert [s.url for s in doc.metadata.sources] == [entry["url"]]  # the Source: line, never quoted
    if entry.get("title"):
        assert doc.metadata.title == " ".join(entry["title"].split())
    assert doc.curated is False
    assert doc.metadata.verdict is EvidenceVerdict.NOT_RATED  # whatever the page claims


def test_a_stated_rating_is_suggested_for_the_curator_and_never_applied(pages: dict[str, Any]) -> None:
    doc, _ = pages["crimesolutions-legacy-programs-list.txt"]
    assert doc.suggested is not None
    assert (doc.suggested.verdict, doc.suggested.rating_source) == (EvidenceVerdict.EFFECTIVE, "CrimeSolutions")
    assert "rated Effective" in doc.suggested.statement
    assert doc.metadata.verdict is EvidenceVerdict.NOT_RATED
    report = DocumentReport.of("x", "added", doc, 3)
    assert any("confirm the verdict" in w for w in report.warnings)
    assert any(w.startswith("no metadata") for w in report.warnings)
    # a page that only describes a rating scale suggests nothing
    assert pages["ncjrs-248747-bja-evaluation-research-literature.txt"][0].suggested is None


def test_record_fields_become_metadata_not_text(pages: dict[str, Any]) -> None:
    doc, chunks = pages["ojp-234073-ojjdp-an-overview.txt"]
    assert doc.metadata.year == 2011
    assert not any("4 pages" in text or "234073" in text for text in chunks)
    assert [b.section for b in doc.blocks][:2] == ["Annotation", "Abstract"]


def test_sentences_split_around_initials_abbreviations_and_dotted_acronyms(pages: dict[str, Any]) -> None:
    text = (
        "The review by Brandon C. Welsh and David P. Farrington covered 13 studies. It was published in the U.S. "
        "by the Campbell Collaboration (Vol. 2, No. 3). Esbensen et al. found that G.R.E.A.T. Program youth "
        "did better. A second evaluation followed."
    )
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "The review by Brandon C. Welsh and David P. Farrington covered 13 studies.",
        "It was published in the U.S. by the Campbell Collaboration (Vol. 2, No. 3).",
        "Esbensen et al. found that G.R.E.A.T. Program youth did better.",
        "A second evaluation followed.",
    ]
    _, chunks = pages["nij-journal-275-great-gang-resistance.txt"]
    units = [u for text in chunks for u in sentence_units(text)]
    assert "Evaluating G.R.E.A.T." not in units  # a heading, not a sentence of the text
    assert any("between G.R.E.A.T. and non-G.R.E.A.T. youth" in u for u in units)


def test_ingest_report_lists_new_documents_with_what_to_check(tmp_path: Path) -> None:
    run = run_ingest(tmp_path / "data", str(REAL), "--report", "--json")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "added: tests/fixtures/real-pages/crimesolutions-legacy-programs-list.txt" in out
    assert "the text says effective (CrimeSolutions)" in out
    assert "title:    OJJDP: An Overview" in out
    assert "warning:  no metadata" in out
    assert "warning:  clutter removed" in out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["added"] == len(ENTRIES)
    documents = {Path(d["source"]).name: d for d in summary["documents"]}
    assert set(documents) == {e["file"] for e in ENTRIES}
    for entry in ENTRIES:
        document = documents[entry["file"]]
        assert document["link"] == entry["url"]
        assert document["curated"] is False
        assert document["verdict"] == "not-rated"
        assert document["chunks"] >= 1
    assert documents["crimesolutions-legacy-programs-list.txt"]["suggested_verdict"] == "effective"
    # a second run changes nothing, so it lists nothing
    again = run_ingest(tmp_path / "data", str(REAL), "--report")
    assert "no new or changed documents" in again.stdout
