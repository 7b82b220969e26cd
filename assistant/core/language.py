"""Which language a question is in: English or French, by a library made for it (py3langid).

A hint from the face (the widget's `data-lang`) wins only when the text itself does not say:
"CCTV" or "Scared Straight" alone are names, not English.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
# Below this probability the text does not say which it is (names, acronyms, one word).
SURE = 0.95


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, hint: Language | None = None) -> Language:
    """ "fr" or "en"; the hint decides when the text is too short or too full of names to tell."""
    language, probability = _identifier().classify(text)
    if probability >= SURE or hint is None:
        return "fr" if language == "fr" else "en"
    return hint
