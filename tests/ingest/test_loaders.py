"""Loaders: each format's text and metadata, and every bad input named with its file, field and remedy."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.evidence import EvidenceVerdict
from ingest.loaders import LoadError, discover, load_document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
MB = 1_000_000
GOOD_FRONT = """---
id: test-doc
title: Test document
kind: program
verdict: promising
rating_source: "CrimeSolutions"
settings: [community]
populations: [youth]
countries: [canada]
sources:
  - title: A source
    url: https://example.org/a
---
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(path: Path):
    return load_document(path, 20 * MB)


def test_markdown_front_matter_and_heading_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.md",
        GOOD_FRONT + "# Test document\n\n## Evidence\n\nIt worked.\n\n### Canadian context\n\nOntario too.\n",
    )
    doc = load(path)
    assert doc.metadata.id == "test-doc"
    assert doc.metadata.verdict is EvidenceVerdict.PROMISING
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("Evidence", "It worked."),
        ("Evidence > Canadian context", "Ontario too."),
    ]


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "Youth Hub Notes.md", "# Notes from the youth hub\n\nWe met twice.\n"))
    assert doc.metadata.title == "Notes from the youth hub"
    assert doc.metadata.verdict is EvidenceVerdict.NOT_RATED
    assert doc.metadata.id == "youth-hub-notes"


def test_text_file_without_heading_takes_title_from_file_name(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "street_outreach_log.txt", "first paragraph\n\nsecond paragraph\n"))
    assert doc.metadata.title == "Street outreach log"
    assert "second paragraph" in doc.blocks[0].text


def test_html_keeps_main_text_only(tmp_path: Path) -> None:
    html = """<html><head><title>Page</title><style>.x{color:red}</style><script>var secret=1</script></head>
    <body><nav>Home | About</nav><header>Site banner</header>
    <main><h1>Checklist</h1><h2>Before</h2><p>Invite partners.</p><ul><li>Police</li><li>Schools</li></ul>
    <script>alert('x')</script></main><footer>Copyright</footer></body></html>"""
    doc = load(write(tmp_path, "page.html", html))
    text = " ".join(b.text for b in doc.blocks)
    assert "Invite partners." in text
    assert "- Police" in text
    for junk in ("secret", "alert", "Home | About", "Site banner", "Copyright", "color:red"):
        assert junk not in text
    assert doc.metadata.title == "Checklist"
    assert doc.blocks[0].section == "Before"


def test_corpus_pdf_keeps_page_numbers_and_sidecar_metadata() -> None:
    doc = load(CORPUS / "formats" / "municipal-prevention-plan-template.pdf")
    assert doc.metadata.id == "municipal-prevention-plan-template"
    assert [b.page for b in doc.blocks] == list(range(1, len(doc.blocks) + 1))
    assert len(doc.blocks) >= 1
    assert doc.blocks[0].text


def test_corpus_docx_and_html_load_with_their_sidecars() -> None:
    docx = load(CORPUS / "formats" / "small-budget-evaluation-worksheet.docx")
    assert docx.metadata.id == "small-budget-evaluation-worksheet"
    assert any(b.section for b in docx.blocks)
    html = load(CORPUS / "formats" / "situation-table-checklist.html")
    assert html.metadata.id == "situation-table-checklist"
    assert "<script" not in " ".join(b.text for b in html.blocks)


def test_discover_skips_readme_eval_and_sidecars() -> None:
    found = {p.name for p in discover([CORPUS])}
    assert "README.md" not in found
    assert not any(name.endswith(".meta.yaml") or name.endswith(".yaml") for name in found)
    assert "municipal-prevention-plan-template.pdf" in found


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    with path.open("wb") as f:
        writer.write(f)


@pytest.mark.parametrize(
    ("name", "content", "reason", "field"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage garbage", "corrupt or unreadable PDF", None),
        ("empty.md", b"", "the file is empty", None),
        ("garbage.md", bytes(range(256)) * 40, "binary content", None),
        ("latin1.md", "# Caf\xe9 s\xfbret\xe9\n".encode("latin-1"), "not valid UTF-8", None),
        ("verdict.md", GOOD_FRONT.replace("verdict: promising", "verdict: amazing") + "body", "'amazing'", "verdict"),
        ("notitle.md", GOOD_FRONT.replace("title: Test document\n", "") + "body", "has no 'title'", "title"),
        ("badyaml.md", "---\nid: x\ntitle: [unclosed\n---\nbody\n", "not valid YAML", None),
        ("nourl.md", GOOD_FRONT.replace("    url: https://example.org/a\n", "") + "body", "url", "sources.0"),
        ("jsurl.md", GOOD_FRONT.replace("https://example.org/a", "javascript:alert(1)") + "body", "http", "sources.0"),
        ("noclose.md", "---\nid: x\ntitle: y\n\nbody with no closing line\n", "no closing '---'", None),
    ],
)
def test_bad_input_is_reported_with_path_reason_and_field(
    tmp_path: Path, name: str, content: bytes | str, reason: str, field: str | None
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(LoadError) as caught:
        load(path)
    assert caught.value.path == path
    assert reason in str(caught.value)
    assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_encrypted_pdf_is_refused_with_a_remedy(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    _encrypted_pdf(path)
    with pytest.raises(LoadError, match="encrypted .*save an unprotected copy"):
        load(path)


def test_a_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as f:
        f.truncate(50 * MB)
    with pytest.raises(LoadError, match=r"50\.0 MB, over the 20 MB limit.*WHATWORKS_MAX_FILE_MB"):
        load(path)


def test_sidecar_with_bad_field_names_the_sidecar(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<main><h1>T</h1><p>text</p></main>", encoding="utf-8")
    sidecar = tmp_path / "page.meta.yaml"
    sidecar.write_text("id: page\ntitle: Page\nkind: pamphlet\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load(tmp_path / "page.html")
    assert caught.value.path == sidecar
    assert caught.value.field == "kind"
