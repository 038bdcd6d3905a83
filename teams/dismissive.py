"""Tip 2: "Avoid people who give dismissive advice." Phrases that brush a loss off.

One list, matched case-insensitively on whole words, whatever the punctuation or apostrophes.
"""

import re
import unicodedata

DISMISSIVE_PHRASES = [
    "you didn't want that client anyway",
    "you didn't want them anyway",
    "you didn't want it anyway",
    "didn't want that client anyway",
    "i never liked them",
    "never liked them anyway",
    "their loss",
    "just get over it",
    "get over it",
    # "At least..." minimises the loss when it opens a consolation, not in "at least three deals".
    "at least you",
    "at least it",
    "at least it's",
    "at least they",
    "at least there",
    "at least now",
    "you should have",
    "you should've",
    "should have known",
    "plenty more fish",
    "it's only one deal",
    "it's just one deal",
    "it's not a big deal",
    "no big deal",
    "don't be so sensitive",
    "stop dwelling",
    "move on already",
    "could have been worse",
    "everything happens for a reason",
]


def _normalise(text: str) -> str:
    """Lower case, curly quotes straightened, apostrophes dropped, other punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_PATTERNS = [(phrase, re.compile(rf"\b{re.escape(_normalise(phrase))}\b")) for phrase in DISMISSIVE_PHRASES]


def dismissive_phrases_in(text: str) -> list[str]:
    """The dismissive phrases a text contains, as listed above (empty when there are none)."""
    normalised = _normalise(text)
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(normalised)]


def is_dismissive(text: str) -> bool:
    return bool(dismissive_phrases_in(text))
