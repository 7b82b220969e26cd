"""A small corpus of three documents, for the sync and manifest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FRONT = "---\nid: {id}\ntitle: {title}\nverdict: {verdict}\nsources:\n  - title: Source\n    url: https://example.org/{id}\n---\n"


def doc(root: Path, id_: str, body: str, verdict: str = "promising", title: str | None = None) -> Path:
    path = root / f"{id_}.md"
    path.write_text(FRONT.format(id=id_, title=title or id_.title(), verdict=verdict) + body, encoding="utf-8")
    return path


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    doc(root, "lighting", "# Lighting\n\n## Evidence\n\nBetter lighting reduced crime.\n")
    doc(root, "cameras", "# Cameras\n\n## Evidence\n\nCameras helped in car parks.\n", verdict="effective")
    doc(root, "camps", "# Camps\n\n## Evidence\n\nBoot camps had no effect.\n", verdict="no-effect")
    return root
