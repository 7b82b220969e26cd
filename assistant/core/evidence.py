"""The evidence metadata of a corpus document: vocabulary and validation.

One pydantic model, shared by ingestion (which validates front matter) and the
answering service (which reads the metadata back from chunks).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class EvidenceVerdict(StrEnum):
    """How well the evidence supports a program, in the order answers present them."""

    EFFECTIVE = "effective"
    PROMISING = "promising"
    MIXED = "mixed"
    NO_EFFECT = "no-effect"
    HARMFUL = "harmful"
    NOT_RATED = "not-rated"


VERDICT_HEADINGS: dict[EvidenceVerdict, str] = {
    EvidenceVerdict.EFFECTIVE: "What works",
    EvidenceVerdict.PROMISING: "Promising",
    EvidenceVerdict.MIXED: "Mixed evidence",
    EvidenceVerdict.NO_EFFECT: "No effect",
    EvidenceVerdict.HARMFUL: "Harmful",
    EvidenceVerdict.NOT_RATED: "Not yet rated by our curators",
}


class DocumentKind(StrEnum):
    PROGRAM = "program"
    PRACTICE = "practice"
    REVIEW = "review"
    GUIDE = "guide"
    POLICY = "policy"
    DATA = "data"


class Setting(StrEnum):
    """Where an intervention is delivered; the vocabulary of the `settings` filter."""

    SCHOOL = "school"
    FAMILY = "family"
    COMMUNITY = "community"
    POLICE = "police"
    PLACE = "place"
    JUSTICE = "justice"
    HEALTH = "health"
    MUNICIPAL = "municipal"


Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=60)]


class Source(BaseModel):
    """A source behind a document: a title plus a URL or a full citation."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, description="Title of the source.")
    url: str | None = Field(default=None, description="Where to read it (http or https).")
    citation: str | None = Field(default=None, description="A full citation, when there is no URL.")

    @model_validator(mode="after")
    def _url_or_citation(self) -> Source:
        if not self.url and not self.citation:
            raise ValueError("a source needs a 'url' or a full 'citation'")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"source url must start with http:// or https://, got {self.url!r}")
        return self


class EvidenceMetadata(BaseModel):
    """Front matter of an evidence document (Markdown) or of a NAME.meta.yaml file."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$", description="Stable slug, unique in the corpus.")
    title: str = Field(min_length=3, max_length=200)
    aliases: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]] = Field(
        default_factory=list,
        description="Other names members use: acronyms in any spelling, former names, short descriptions.",
    )
    title_fr: str | None = Field(default=None, min_length=3, max_length=200, description="French title.")
    summary_fr: str | None = Field(
        default=None, min_length=10, max_length=2000, description="French summary of the finding and verdict."
    )
    kind: DocumentKind = DocumentKind.PRACTICE
    verdict: EvidenceVerdict = EvidenceVerdict.NOT_RATED
    rating_source: str | None = Field(default=None, description='Who rated it, e.g. "Campbell review 2013".')
    strength: str | None = Field(
        default=None,
        min_length=3,
        max_length=120,
        description='How much evidence stands behind the verdict, e.g. "systematic review of 9 randomised trials".',
    )
    problems: list[Tag] = Field(default_factory=list)
    populations: list[Tag] = Field(default_factory=list)
    settings: list[Setting] = Field(default_factory=list)
    countries: list[Tag] = Field(default_factory=list)
    year: int | None = Field(default=None, ge=1900, le=2100)
    sources: list[Source] = Field(default_factory=list)
    updated: dt.date | None = None
