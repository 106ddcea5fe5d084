"""Arabic-aware text normalization for search: the same function folds the index and the query.

Arabic is written with optional marks and interchangeable letter forms: الأحداث and الاحداث are the
same word to a reader. Both the indexed text and the searched text are folded the same way:

- hamza and madda on alef (أ إ آ) and alef wasla (ٱ) become a bare alef (ا);
- taa marbuta (ة) becomes haa (ه), alef maqsura (ى) becomes yaa (ي);
- diacritics (tashkeel: fatha ... sukun, shadda, the dagger alef, Quranic marks) are dropped;
- the tatweel (ـ), used only to stretch a word, is dropped;
- Arabic-Indic and Persian digits become 0-9; Latin text is case-folded.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ـ": None,
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)
# Tashkeel and Quranic annotation marks (combining marks in the Arabic block).
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """``text`` folded for matching: see the module's docstring for what is folded."""
    if not text:
        return ""
    # NFKC turns presentation forms (ﻷ, ﺍ ...) into the letters they show, before folding those.
    folded = unicodedata.normalize("NFKC", str(text))
    folded = _MARKS.sub("", folded).translate(_LETTERS)
    return folded.casefold()


def terms(text: str, *, limit: int = 12) -> list[str]:
    """The words of ``text`` after normalization (at most ``limit``, duplicates dropped)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(normalize(text)):
        seen.setdefault(word, None)
        if len(seen) >= limit:
            break
    return list(seen)
