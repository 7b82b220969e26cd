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


# Documents that come as they are: no metadata, page furniture, record fields, a Source line.

DIV_SOUP = """<!DOCTYPE html>
<!-- saved from url=(0049)https://www.example.gov/programs/gps-monitoring -->
<html><head><title>GPS electronic monitoring | Example Justice Agency</title>
<link rel="canonical" href="https://www.example.gov/programs/gps-monitoring"></head>
<body>
<div class="usa-banner">An official website of the United States government Here's how you know</div>
<div class="menu"><a href="/">Home</a> | <a href="/topics">Topics</a> | <a href="/about">About</a></div>
<div class="cookie">We use cookies to improve this site. Accept</div>
<div class="content">
<h1>GPS electronic monitoring of people on parole</h1>
<div class="share">Share this page: Facebook Twitter Email</div>
<h2>Program description</h2>
<p>GPS electronic monitoring tracks the location of people released on parole with an ankle device that reports
their movements to a supervising officer at all times of the day. Officers receive alerts when a person enters an
exclusion zone around a victim's home or leaves the area set by the court.</p>
<h2>Evaluation findings</h2>
<p>The evaluation by Jeffrey A. Butts and colleagues compared people on GPS monitoring with people on standard
parole. Those on GPS monitoring had fewer new arrests over one year than those on standard parole.</p>
<p>This program is rated Promising by CrimeSolutions.</p>
</div>
<div class="footer">Subscribe to Stay Informed. Sign up for our newsletter in your inbox.</div>
</body></html>"""


def test_html_without_a_main_element_keeps_the_content_and_its_link(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "GPS_monitoring.html", DIV_SOUP))
    text = "\n".join(b.text for b in doc.blocks)
    assert "fewer new arrests over one year" in text
    assert "Jeffrey A. Butts" in text
    for junk in ("official website", "Home", "cookies", "Share this page", "Subscribe", "newsletter"):
        assert junk not in text, junk
    assert doc.metadata.title == "GPS electronic monitoring of people on parole"
    assert [s.url for s in doc.metadata.sources] == ["https://www.example.gov/programs/gps-monitoring"]
    assert "Evaluation findings" in [b.section for b in doc.blocks]
    assert doc.curated is False
    assert doc.metadata.verdict is EvidenceVerdict.NOT_RATED
    assert doc.suggested is not None
    assert doc.suggested.verdict is EvidenceVerdict.PROMISING


def test_saved_text_page_source_line_becomes_the_link_and_record_fields_leave_the_text(tmp_path: Path) -> None:
    page = (
        "URL: https://www.example.gov/library/abstracts/street-outreach\n\nskip navigation\n"
        "Home | Help | Contact Us | Site Map\n\nStreet Outreach Evaluation\n\n"
        "Date Published 2004 Length 27 pages Annotation This study followed 300 young people\n"
        "contacted by street outreach workers in two cities over eighteen months.\n\n"
        "Author(s)\nJeffrey A. Butts\n\nShare\nPrint\n"
    )
    doc = load(write(tmp_path, "street-outreach.txt", page))
    text = "\n".join(b.text for b in doc.blocks)
    assert text == (
        "This study followed 300 young people contacted by street outreach workers in two cities over eighteen months."
    )
    assert doc.metadata.title == "Street Outreach Evaluation"
    assert doc.metadata.year == 2004
    assert doc.metadata.sources[0].url == "https://www.example.gov/library/abstracts/street-outreach"
    assert doc.blocks[0].section == "Annotation"
    assert doc.removed >= 8


def test_titles_keep_their_capitals(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "GPS_electronic_monitoring.txt", "the tracking devices were worn for a year.\n"))
    assert doc.metadata.title == "GPS electronic monitoring"
    doc = load(
        write(tmp_path, "notes.txt", "CCTV in car parks\n\nCameras in car parks were followed by fewer thefts.\n")
    )
    assert doc.metadata.title == "CCTV in car parks"


def test_an_over_long_heading_becomes_a_shortened_title_not_a_crash(tmp_path: Path) -> None:
    heading = "Findings " + "and more findings " * 30
    doc = load(write(tmp_path, "long.md", f"# {heading}\n\nThe program reduced thefts.\n"))
    assert 3 <= len(doc.metadata.title) <= 200
    assert doc.metadata.title.endswith("…")
    with pytest.raises(LoadError, match="no readable text"):
        load(write(tmp_path, "only-furniture.md", "Home | Help | Contact Us | Site Map\n\nSubscribe\n"))


def test_pdf_without_metadata_loses_running_heads_and_joins_wrapped_lines(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pages = [
        [
            "Street lighting and crime: a field report",
            "Improved street lighting was installed on twelve residential streets in the",
            "spring, and recorded burglaries on those streets fell over the following year",
            "compared with similar streets nearby.",
        ],
        [
            "The fall was larger at night than by day, which fits the idea that better",
            "visibility deters offenders and brings more residents outdoors after dark.",
        ],
        [
            "Residents on the relit streets also reported feeling safer when walking at",
            "night, according to a survey before and after the work.",
        ],
    ]
    for number, lines in enumerate(pages, 1):
        pdf.add_page()
        pdf.cell(0, 8, "City of Example - Community Safety Report 2021", new_x="LMARGIN", new_y="NEXT")
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, f"Page {number} of 3", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "lighting-report.pdf"
    pdf.output(str(path))
    doc = load(path)
    text = "\n".join(b.text for b in doc.blocks)
    assert "Community Safety Report 2021" not in text
    assert "Page 2 of 3" not in text
    assert "in the spring, and recorded burglaries on those streets fell" in text  # one sentence again
    assert doc.metadata.title == "Street lighting and crime: a field report"
    assert [b.page for b in doc.blocks] == [1, 2, 3]
