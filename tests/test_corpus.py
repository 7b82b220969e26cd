"""The evidence base itself: valid metadata, unique ids, sources, sizes, and a golden set that points at real ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.core.evidence import EvidenceVerdict
from ingest.loaders import discover, load_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FILES = sorted(discover([CORPUS]))


@pytest.fixture(scope="module")
def documents():
    return [load_document(path, 20_000_000) for path in FILES]


def test_there_are_at_least_60_documents_in_four_formats(documents) -> None:
    assert len(documents) >= 60
    assert {p.suffix for p in FILES} >= {".md", ".pdf", ".html", ".docx"}


def test_every_document_validates_and_every_markdown_has_front_matter(documents) -> None:
    for path, doc in zip(FILES, documents, strict=True):
        if path.suffix == ".md":
            assert path.read_text(encoding="utf-8").startswith("---\n"), path
        else:
            assert path.with_name(path.name.rsplit(".", 1)[0] + ".meta.yaml").exists(), path
        assert doc.metadata.verdict in set(EvidenceVerdict)


def test_ids_are_unique_and_match_file_names(documents) -> None:
    ids = [d.metadata.id for d in documents]
    assert len(ids) == len(set(ids))
    for path, doc in zip(FILES, documents, strict=True):
        assert path.name.split(".")[0] == doc.metadata.id


def test_every_source_has_a_url_or_a_full_citation(documents) -> None:
    for doc in documents:
        assert doc.metadata.sources, doc.metadata.id
        for source in doc.metadata.sources:
            assert source.url or (source.citation and len(source.citation) >= 20), (doc.metadata.id, source)


def test_harmful_and_no_effect_programs_are_in_the_base(documents) -> None:
    verdicts = {d.metadata.id: d.metadata.verdict for d in documents}
    assert verdicts["scared-straight"] is EvidenceVerdict.HARMFUL
    assert verdicts["boot-camps"] is EvidenceVerdict.NO_EFFECT


def test_no_corpus_file_is_over_1_mb() -> None:
    for path in CORPUS.rglob("*"):
        if path.is_file():
            assert path.stat().st_size <= 1_000_000, path


def test_golden_questions_point_only_to_existing_ids(documents) -> None:
    ids = {d.metadata.id for d in documents}
    data = yaml.safe_load((CORPUS / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    assert len(data["questions"]) >= 100
    assert len(data["out_of_scope"]) >= 15
    assert len(data["followups"]) >= 10
    seen = set()
    for item in data["questions"] + data["followups"]:
        assert item["expected"], item["id"]
        assert set(item["expected"]) <= ids, (item["id"], set(item["expected"]) - ids)
        assert item["id"] not in seen
        seen.add(item["id"])
    for item in data["followups"]:
        assert item["conversation"][0]["role"] == "user"
