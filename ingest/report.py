"""What an ingestion run reports: per new or changed document, and for the run (kept free of heavy imports:
a run with nothing changed reports without loading the rest of ingestion)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.loaders import LoadedDocument


@dataclass
class DocumentReport:
    """What a curator needs to check about one new or changed document."""

    source: str
    status: str  # added | updated
    id: str
    title: str
    verdict: str
    curated: bool
    sections: list[str]
    chunks: int
    link: str | None
    suggested_verdict: str | None
    suggested_by: str | None
    suggested_statement: str | None
    warnings: list[str]

    @classmethod
    def of(cls, source: str, status: str, doc: LoadedDocument, chunks: int) -> DocumentReport:
        suggested = doc.suggested
        return cls(
            source=source,
            status=status,
            id=doc.metadata.id,
            title=doc.metadata.title,
            verdict=doc.metadata.verdict.value,
            curated=doc.curated,
            sections=list(dict.fromkeys(b.section for b in doc.blocks if b.section)),
            chunks=chunks,
            link=next((s.url for s in doc.metadata.sources if s.url), None),
            suggested_verdict=suggested.verdict.value if suggested else None,
            suggested_by=suggested.rating_source if suggested else None,
            suggested_statement=suggested.statement if suggested else None,
            warnings=doc.warnings(),
        )

    def lines(self) -> list[str]:
        verdict = self.verdict if self.curated else "not yet rated by our curators (no metadata)"
        if self.suggested_verdict:
            verdict += f'; the text says {self.suggested_verdict} ({self.suggested_by}): "{self.suggested_statement}"'
        sections = ", ".join(self.sections[:8]) + (
            f" (+{len(self.sections) - 8} more)" if len(self.sections) > 8 else ""
        )
        out = [
            f"{self.status}: {self.source}",
            f"  title:    {self.title}",
            f"  verdict:  {verdict}",
            f"  sections: {sections or '(none: one block of text)'}",
            f"  chunks:   {self.chunks}",
            f"  link:     {self.link or '(none)'}",
        ]
        out += [f"  warning:  {w}" for w in self.warnings]
        return out


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    chunks: int = 0
    embedded: int = 0
    multilingual: int = 0  # documents and French passages whose multilingual vectors were made ahead
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    documents: list[DocumentReport] = field(default_factory=list)
    rebuilt: bool = False
    dry_run: bool = False
    quick: bool = False  # answered from the last run's manifest: no file changed since (`ingest.manifest`)

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 2)
        return out

    def line(self) -> str:
        verb = "would sync" if self.dry_run else "synced"
        return (
            f"{verb}: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.failed} failed documents; {self.chunks} chunks in the index "
            f"({self.embedded} embedded"
            + (f"; {self.multilingual} multilingual vectors made for French questions" if self.multilingual else "")
            + ("; no file changed since the last run" if self.quick else "")
            + f") in {self.seconds:.1f}s"
        )
