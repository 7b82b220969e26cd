"""Which language a question is in, by a library made for it (py3langid).

whatworks answers in English and French. `detect_language` picks between the two (a mixed
question is answered in its dominant language); `identify` also recognises a question that
is plainly in another language, so it gets a reply saying which languages we answer instead
of a refusal logged as an evidence gap. A hint from the face (the widget's `data-lang`) wins
only when the text itself does not say: "CCTV" or "Scared Straight" alone are names, not English.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any, Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
# Below this probability the text does not say which it is (names, acronyms, one word).
SURE = 0.95
# Languages a question may plausibly come in, besides ours: the most spoken in Canada and in the
# world. The identifier's full list holds English-based creoles ("pcm") and rare languages that
# short English questions resemble ("how long do i boil an egg" scores 0.84 Nigerian Pidgin).
OTHERS = (
    "es", "pt", "it", "de", "nl", "pl", "ro", "ru", "uk", "cs", "hu", "el", "sv", "da", "no", "fi",
    "tr", "ar", "fa", "he", "ur", "pa", "hi", "bn", "ta", "gu", "zh", "ja", "ko", "vi", "tl", "id", "so",
)  # fmt: skip
# Another language must be this sure, over this many words, before we say we do not answer in it:
# a question half in English gets an English answer rather than a refusal.
OTHER_SURE = 0.7
MIN_WORDS = 3


@cache
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_language(text: str, hint: Language | None = None) -> Language:
    """ "fr" or "en"; the hint decides when the text is too short or too full of names to tell."""
    language, probability = _identifier(LANGUAGES).classify(text)
    if probability >= SURE or hint is None:
        return "fr" if language == "fr" else "en"
    return hint


def identify(text: str, hint: Language | None = None) -> str:
    """ "en", "fr", or the ISO 639-1 code of another language the question is surely written in."""
    letters = [c for c in text if c.isalpha()]
    foreign_script = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
    if letters and foreign_script / len(letters) >= 0.6:
        # Chinese, Arabic, Cyrillic...: no English or French question is mostly in another script
        language, _ = _identifier(OTHERS).classify(text)
        return str(language)
    if len(text.split()) < MIN_WORDS:
        return detect_language(text, hint)
    # one pass gives both answers: the probabilities are a softmax over the languages set, so English's
    # and French's shares renormalised are what a classifier set to those two alone would give
    ranked = dict(_identifier(LANGUAGES + OTHERS).rank(text))
    language, probability = max(ranked.items(), key=lambda item: item[1])
    if language not in LANGUAGES and probability >= OTHER_SURE:
        return str(language)
    english, french = ranked.get("en", 0.0), ranked.get("fr", 0.0)
    if english + french <= 0.0:
        return detect_language(text, hint)  # both underflowed beside a surer third language
    ours: Language = "fr" if french > english else "en"
    return ours if max(english, french) / (english + french) >= SURE or hint is None else hint
