"""What a saved web page, a text export or a PDF needs before its sentences can be quoted.

Curators drop in real documents as they come: a government page saved as text, a report
as PDF, with no front matter. Their text carries page furniture (skip links, subscribe
boxes, share bars, cookie notices), catalogue record fields ("Date Published 2004 Length
27 pages Annotation"), a `Source: URL` line, and lines hard-wrapped mid-sentence. A
quote must carry none of it. These functions work on lines of plain text, so every
format shares them after its own extraction; what they take out is counted, so the
ingestion report can tell the curator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.evidence import EvidenceVerdict

_URL_LINE = re.compile(
    r"^\s*(?:source(?:\s+url)?|url|link|retrieved\s+from|saved\s+from|original(?:\s+url)?|from)\s*[:=]?\s*"
    r"<?(https?://[^\s<>\"']+?)>?[.,;]?\s*$",
    re.I,
)

# Whole lines that are chrome on government and publisher pages, whatever the site.
_FURNITURE_LINE = re.compile(
    r"^(?:skip\b.*|an official website of\b.*|here'?s how you know\b.*|official websites use\b.*"
    r"|secure \.gov websites\b.*|\.gov means it'?s official\b.*|a \.gov website belongs\b.*"
    r"|a lock \(.*|share\b.{0,40}|print\b.{0,30}|e-?mail\b.{0,30}|tweet|facebook|twitter|x|linkedin|youtube|instagram"
    r"|reddit|pinterest|rss|menu|main menu|search|search this site|close|open|toggle navigation|navigation|home"
    r"|back to top|top of page|return to top|sign in|log ?in|sign up\b.*|subscribe\b.*|stay connected\b.*"
    r"|follow us\b.*|connect with us\b.*|contact us|site map|sitemap|help|glossary|privacy(?: policy)?"
    r"|accessibility(?: statement)?|disclaimer|foia|no fear act|usa\.gov|policies|legal|terms of use"
    r"|vulnerability disclosure|inspector general|(?:was this page|is this page) (?:helpful|useful)\??.*"
    r"|yes|no|feedback|submit feedback|related (?:links|content|resources|topics)|on this page|in this section"
    r"|breadcrumb|you are here\b.*|date modified\b.*|last (?:updated|reviewed|modified)\b.*|page updated\b.*"
    r"|(?:©|copyright|\(c\)).{0,120}|all rights reserved\.?|page \d+(?: of \d+)?|\d{1,4}|[-–—|•·*#=_ ]+"
    r"|(?:we|this site) uses? cookies\b.*|accept(?: all)?(?: cookies)?|cookie (?:settings|preferences|policy)"
    r"|report a problem\b.*|download (?:pdf|the pdf)\b.{0,40}|view (?:pdf|full text)\b.{0,40}"
    r"|share this page\b.*|print this page|email this page|opens in a new window|download(?: and print)?"
    r"|u\.s\. flag|united states flag|lock|locka locked padlock|a locked padlock|\)? ?or https:// means\b.*"
    r"|how to obtain documents|find in a library|the document referenced below\b.*|to conduct further searches\b.*"
    r"|add your \w+ to our\b.*|view (?:artwork|the resource guide|more|all)\b.*|learn more|read more|see more"
    r"|more information|notice:?|click here\b.{0,80}|on this page\b.{0,40}|ncjrs virtual library"
    r"|the virtual library houses\b.*|\d+ pages?)$",
    re.I,
)
# A paragraph that sells the site rather than saying anything: two of these cues, whatever its length.
_PROMO_CUES = re.compile(
    r"\b(?:subscribe|newsletter|e-newsletter|sign up|in your inbox|follow us|register now|stay informed"
    r"|royalty[- ]free|reuse policy|getty images|istock|shutterstock|thinkstock|photo credit|learn how"
    r"|your (?:own )?(?:site|website|blog)|widgets?|print and share|fl[iy]er|bookmark|rss feeds?)\b",
    re.I,
)
_CREDIT = re.compile(
    r"\b(?:royalty[- ]free|reuse policy|getty images|istock|shutterstock|thinkstock|photo credit)\b", re.I
)
_SEPARATED = re.compile(r"\s(?:\||»|›|/|>|•|·)\s")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"'”’)]\s*$")

# Catalogue record fields (NCJRS, library records, report covers): facts about the record,
# never the finding. "Annotation" and "Abstract" introduce the text itself.
_RECORD_LABELS = (
    "Title",
    "Document URL",
    "Agency Summary",
    "Date Published",
    "Date Created",
    "Publication Date",
    "Date",
    "Length",
    "Page Count",
    "Pages",
    "NCJ Number",
    "NCJ",
    "Record Number",
    "Author\\(s\\)",
    "Authors?",
    "Editor\\(s\\)",
    "Corporate Author",
    "Publication Type",
    "Publication Series",
    "Series",
    "Publisher",
    "Sponsoring Agency",
    "Agency",
    "Grant Number",
    "Award Number",
    "Journal",
    "Volume",
    "Issue",
    "Country",
    "Language",
    "Availability",
    "Sale Source",
    "Main Term\\(s\\)",
    "Index Term\\(s\\)",
    "Subject",
    "Topics?",
    "Type",
    "Format",
    "ISBN",
    "ISSN",
    "DOI",
    "Program Type",
    "Program Setting",
    "Setting \\(Delivery\\)",
    "Geography",
    "Targeted Population",
    "Gender",
    "Age",
    "Race/Ethnicity",
    "Current Program Status",
    "Listed by",
    "Program Developer",
    "Program Director",
    "Evaluator",
    "Training and TA Provider",
    "Contact",
)
_CONTENT_LABELS = ("Annotation", "Abstract", "Summary", "Description", "Program Description", "Overview")
_LABEL = "|".join(_RECORD_LABELS)
_RECORD_LINE = re.compile(rf"^(?:{_LABEL})\s*:?(?:\s+(?P<value>.*))?$", re.I)
_RECORD_RUN = re.compile(rf"\b(?:{_LABEL}|{'|'.join(_CONTENT_LABELS)})\b")
_CONTENT_LABEL_LINE = re.compile(rf"^(?P<label>{'|'.join(_CONTENT_LABELS)})\s*:?\s*(?P<rest>.*)$", re.I)
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")

_BULLET = re.compile(r"^\s*(?:[-*•·▪◦]|\d{1,2}[.)])\s+")
_HYPHEN_END = re.compile(r"[A-Za-z]-$")

_RATING = re.compile(
    r"\b(?:is|was|has been|have been|are|were|received|receives|earned|got|given)?\s*"
    r"(?:rated|a rating of|the rating|rating of|rated as|classified as|evidence rating:?)\s*(?:as\s+)?[\"“'‘]?"
    r"(?P<rating>Effective|Promising|No Effects?|Negative Effects?|Model Plus|Model|Ineffective|Harmful)\b",
    re.I,
)
_RATING_FIELD = re.compile(
    r"^(?:evidence rating|rating|evidence rating for \w.*)\s*:?\s*(?P<rating>Effective|Promising|No Effects?|Negative"
    r" Effects?)\s*[.-]?.{0,80}$",
    re.I,
)
_RATING_SOURCES = (
    ("CrimeSolutions", re.compile(r"crime\s*solutions", re.I)),
    ("OJJDP Model Programs Guide", re.compile(r"model programs guide|\bOJJDP\b", re.I)),
    ("Blueprints for Healthy Youth Development", re.compile(r"\bblueprints\b", re.I)),
    ("What Works Clearinghouse", re.compile(r"what works clearinghouse", re.I)),
    ("College of Policing Crime Reduction Toolkit", re.compile(r"college of policing|crime reduction toolkit", re.I)),
    ("Campbell Collaboration", re.compile(r"campbell (?:collaboration|systematic review)", re.I)),
    ("National Institute of Justice", re.compile(r"national institute of justice|\bNIJ\b")),
)
_RATING_VERDICT = {
    "effective": EvidenceVerdict.EFFECTIVE,
    "model": EvidenceVerdict.EFFECTIVE,
    "model plus": EvidenceVerdict.EFFECTIVE,
    "promising": EvidenceVerdict.PROMISING,
    "no effect": EvidenceVerdict.NO_EFFECT,
    "no effects": EvidenceVerdict.NO_EFFECT,
    "ineffective": EvidenceVerdict.NO_EFFECT,
    "negative effect": EvidenceVerdict.HARMFUL,
    "negative effects": EvidenceVerdict.HARMFUL,
    "harmful": EvidenceVerdict.HARMFUL,
}


@dataclass(frozen=True)
class SuggestedRating:
    """A rating the document states about itself, for a curator to confirm; never applied by itself."""

    verdict: EvidenceVerdict
    rating_source: str
    statement: str


@dataclass
class Cleaning:
    """What cleaning found beside the text: the link, record fields, and what it removed."""

    url: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        for name in ("date published", "publication date", "date created", "date"):
            match = _YEAR.search(self.fields.get(name, ""))
            if match:
                return int(match.group(1))
        return None


def take_source_line(text: str, cleaning: Cleaning) -> str:
    """A `Source: URL` (or `URL:`) line among the first lines becomes the link, and leaves the text."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:5]):
        match = _URL_LINE.match(line)
        if match:
            cleaning.url = cleaning.url or match.group(1)
            cleaning.removed.append(line.strip())
            return "\n".join(lines[:i] + lines[i + 1 :])
        if line.strip() and i >= 2:
            break
    return text


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(?<![\w*_])(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w*_])")


def plain(line: str) -> str:
    """A line of a page saved as Markdown as a reader sees it: links as their text, no images or emphasis."""
    text = _MD_IMAGE.sub("", line)
    text = re.sub(r"\[\s*\]\([^)]*\)", "", text)  # a link left empty by its image
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    for _ in range(2):
        text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
    return text.replace("\\|", "|").replace("\\", "")


def is_furniture(line: str) -> bool:
    """A line that belongs to the page's chrome, not to what the page says."""
    text = " ".join(line.split()).strip()
    if not text:
        return False
    if text.startswith("|"):
        return not text.strip("|-: \t")  # a Markdown table row is content unless it is empty
    if text.startswith("!["):
        return True  # an image
    links = _MD_LINK.findall(text)
    if len(links) == 1 and _MD_LINK.fullmatch(text.strip(" *_")) and len(links[0].split()) <= 8:
        return True  # a lone link: "Visit the Justice Grants Website", "Learn more"
    if links:
        rest = _MD_LINK.sub("", text).strip(" |-•·*>")
        if len(links) >= 2 and len(rest.split()) <= 3:
            return True  # a row of links: a menu in a page saved as Markdown
        text = _MD_LINK.sub(lambda m: m.group(1), text)
    bare = _BULLET.sub("", text).strip(" \t*_#>")
    if _FURNITURE_LINE.match(bare):
        return True
    if _URL_LINE.match(bare) or re.fullmatch(r"<?https?://\S+>?", bare):
        return True
    parts = _SEPARATED.split(bare)
    if len(parts) >= 3 and all(len(p.split()) <= 4 for p in parts) and not _ENDS_SENTENCE.search(bare):
        return True  # a menu or a breadcrumb trail: "Home | Topics | Crime Prevention"
    fragments = [f for f in re.split(r"(?<=[.!?])\s+", bare) if f]
    if len(fragments) >= 3 and sum(len(f.split()) <= 3 for f in fragments) >= 3:
        return True  # a tagline: "Research. Development. Evaluation."
    if len(_PROMO_CUES.findall(bare)) >= 2 or _CREDIT.search(bare) and len(bare.split()) <= 14:
        return True
    words = bare.split()
    if len(words) <= 14 and not _ENDS_SENTENCE.search(bare):
        lower = bare.lower()
        if re.search(r"\b(?:subscribe|newsletter|skip navigation|skip to|cookies?|share this|follow us)\b", lower):
            return True
    return False


_INLINE_LABELS = frozenset({"length", "ncj", "isbn", "issn", "doi", "pages", "page count"})


def _record_field(line: str) -> tuple[str, str] | None:
    """("date published", "2004") for a record line, None for a line of prose.

    "Label: value" always counts; "Label value" only for labels of two words or more and
    for numbered ones ("Length 27 pages"), so prose that starts with "Age" or "Type" stays.
    """
    text = " ".join(line.split())
    n_words = len(text.split())
    if not text or n_words > 16 or (text.endswith((".", "?", "!")) and n_words > 6):
        return None
    match = _RECORD_LINE.match(text)
    if not match:
        return None
    value = (match.group("value") or "").strip()
    label = (text[: match.start("value")] if match.group("value") else text).strip()
    if label.endswith(":") or not value:
        return label.strip(" :").lower(), value.lstrip(": ").strip()
    if " " in label or (label.lower() in _INLINE_LABELS and any(ch.isdigit() for ch in value)):
        return label.lower(), value
    return None


def split_record_run(line: str) -> list[str]:
    """ "Date Published 2004 Length 27 pages Annotation This study ..." as one line per field."""
    text = line.strip()
    if not _RECORD_LINE.match(text):
        return [line]
    starts: list[int] = []
    for match in _RECORD_RUN.finditer(text):
        starts.append(match.start())
        if match.group(0) in _CONTENT_LABELS:
            break  # what follows "Annotation" is the text itself
    if len(starts) < 2:
        return [line]
    pieces = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [p for p in pieces if p]


def clean_lines(text: str, cleaning: Cleaning, records: bool = True) -> list[str]:
    """The text's lines without furniture and record fields; a content label becomes a heading line.

    `records=False` keeps lines that read like record fields: a curated form or template
    ("Date published: ____") means them as content.
    """
    label_line = ""
    raw: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            raw.append("")
            continue
        if is_furniture(line):  # judged as written, so that a row of links is seen as one
            cleaning.removed.append(line.strip())
            previous = next((i for i in range(len(raw) - 1, -1, -1) if raw[i].strip()), None)
            if _CREDIT.search(line) and previous is not None and len(raw[previous].split()) <= 12:
                cleaning.removed.append(raw.pop(previous).strip())  # the photo's caption goes with its credit
            continue
        shown = plain(line)
        if not shown.strip():
            cleaning.removed.append(line.strip())
            continue
        raw.extend(split_record_run(shown))
    out: list[str] = []
    pending_label: str | None = None
    for line in raw:
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        if pending_label is not None and (_record_field(stripped) or _CONTENT_LABEL_LINE.match(stripped)):
            pending_label = None  # a label with no value (lost when the page was saved): the next label follows
        if pending_label is not None:
            label, pending_label = pending_label, None
            if len(stripped.split()) <= 20 and not (stripped.endswith(".") and len(stripped.split()) > 8):
                cleaning.fields[label] = stripped
                cleaning.removed.append(stripped)
                continue
            if " " not in label:
                out.append(label_line)  # "Contact", "Agency": a heading that only reads like a field name
                cleaning.removed.pop()
            # a field name whose value was lost when the page was saved goes, and the prose stays
        content = _CONTENT_LABEL_LINE.match(stripped) if records else None
        if content and len(stripped.split()) == len(content.group("label").split()):
            out.append(f"## {content.group('label').title()}")
            continue
        if content and content.group("rest") and stripped.split()[0].rstrip(":") in ("Annotation", "Abstract"):
            out.extend([f"## {content.group('label')}", content.group("rest")])
            continue
        record = _record_field(stripped) if records else None
        if record is not None:
            label, value = record
            cleaning.removed.append(stripped)
            if value:
                cleaning.fields.setdefault(label, value)
            else:
                pending_label, label_line = label, line.rstrip()
            continue
        if is_furniture(stripped):
            cleaning.removed.append(stripped)
            continue
        out.append(line.rstrip())
    return out


def unwrap(lines: list[str]) -> list[str]:
    """Join lines hard-wrapped inside a sentence (PDF pages, text saved at 80 columns).

    A line break stays where a paragraph, a list item or a heading starts, and after a line
    much shorter than the text's usual width (a title or a label); elsewhere a line that does
    not end a sentence runs on into the next, and "preven-" + "tion" is one word.
    """
    lengths = sorted(len(line.strip()) for line in lines if len(line.strip()) >= 20)
    width = lengths[len(lengths) // 2] if lengths else 0
    out: list[str] = []
    previous = ""
    for line in lines:
        stripped = line.strip()
        if not stripped:
            out.append("")
            previous = ""
            continue
        if out and out[-1] and len(previous) >= 0.6 * width and _runs_on(out[-1], stripped):
            if _HYPHEN_END.search(out[-1]) and stripped[:1].islower():
                out[-1] = out[-1][:-1] + stripped
            else:
                out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
        previous = stripped
    return out


def _runs_on(previous: str, line: str) -> bool:
    if previous.startswith(("#", "|", "```")) or line.startswith(("#", "|", "```")) or _BULLET.match(line):
        return False
    if _ENDS_SENTENCE.search(previous) and not re.search(r"\b(?:[A-Z]|et al|e\.g|i\.e|No|vs)\.$", previous):
        return False
    if looks_like_heading(previous) and line[:1].isupper():
        return False
    return True


def looks_like_heading(line: str) -> bool:
    """A short line in title or capital case with no sentence punctuation: "Program Goals"."""
    text = line.strip()
    words = text.split()
    ending = re.sub(r"\b(?:[A-Z]\.){2,}$", "", text)  # "Evaluating G.R.E.A.T." ends with an acronym, not a stop
    if not 1 <= len(words) <= 10 or _ENDS_SENTENCE.search(ending) or text.endswith(","):
        return False
    if not text[:1].isupper():
        return False
    capitals = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    small = {"and", "or", "of", "the", "a", "an", "in", "on", "for", "to", "with", "by", "at", "vs", "from"}
    return capitals + sum(1 for w in words if w.lower() in small) >= len(words)


def to_markdown(lines: list[str]) -> str:
    """Lines of plain text as Markdown: a heading-like line followed by prose becomes a heading."""
    out: list[str] = []
    for i, line in enumerate(lines):
        following = next((n for n in lines[i + 1 :] if n.strip()), "")
        if (
            line
            and not line.startswith("#")
            and looks_like_heading(line)
            and following
            and not following.startswith("#")
            and not looks_like_heading(following)
        ):
            out.extend(["", f"## {line}", ""])
        else:
            out.append(line)
    return "\n".join(out)


def suggested_rating(text: str) -> SuggestedRating | None:
    """An explicit rating the text states ("This program is rated Effective"), with who rated it."""
    for line in text.splitlines():
        stripped = " ".join(line.split())
        match = _RATING.search(stripped) or _RATING_FIELD.match(stripped)
        if not match:
            continue
        word = match.group("rating").lower()
        verdict = _RATING_VERDICT.get(word) or _RATING_VERDICT.get(word.rstrip("s"))
        if verdict is None:
            continue
        source = next((name for name, pattern in _RATING_SOURCES if pattern.search(text)), None)
        if source is None:
            continue  # a rating nobody is named for is a claim, not a rating
        return SuggestedRating(verdict=verdict, rating_source=source, statement=stripped[:300])
    return None


def capitalised(title: str) -> str:
    """The first letter in capitals and the rest as written: "GPS electronic monitoring"."""
    title = title.strip()
    return title[:1].upper() + title[1:]


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def running_lines(pages: list[str]) -> set[str]:
    """Lines repeated at the top or bottom of many pages (running heads, footers, page numbers), by shape."""
    if len(pages) < 3:
        return set()
    counts: dict[str, int] = {}
    for page in pages:
        lines = [ln for ln in page.splitlines() if ln.strip()]
        for line in {_shape(ln) for ln in lines[:3] + lines[-3:]}:
            counts[line] = counts.get(line, 0) + 1
    return {shape for shape, n in counts.items() if n >= max(3, len(pages) // 2)}


def without_running_lines(page: str, running: set[str], cleaning: Cleaning) -> str:
    kept = []
    for line in page.splitlines():
        if line.strip() and _shape(line) in running:
            cleaning.removed.append(line.strip())
        else:
            kept.append(line)
    return "\n".join(kept)


def repeated_lines(texts: list[str], at_least: int = 3) -> set[str]:
    """Lines found verbatim in several documents of one run: a site's boilerplate, not what a page says."""
    counts: dict[str, int] = {}
    for text in texts:
        for line in {" ".join(ln.split()) for ln in text.splitlines()}:
            if len(line.split()) >= 3:
                counts[line] = counts.get(line, 0) + 1
    return {line for line, n in counts.items() if n >= at_least}
