"""What changed between two versions of the charter, article by article, in English and in Arabic."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .models import CharterArticle, CharterVersion

# Words and the spaces between them: a change is shown word by word (Arabic words included).
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class Segment:
    op: str  # "same", "added" or "removed"
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


@dataclass
class ArticleChange:
    number: str
    status: str  # "added", "removed", "changed" or "unchanged"
    title: list[Segment] = field(default_factory=list)
    title_ar: list[Segment] = field(default_factory=list)
    text: list[Segment] = field(default_factory=list)
    text_ar: list[Segment] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            **{
                name: [segment.as_dict() for segment in getattr(self, name)]
                for name in ("title", "title_ar", "text", "text_ar")
            },
        }


def segments(old: str, new: str) -> list[Segment]:
    """``old`` → ``new`` as runs of unchanged, removed and added words."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    result: list[Segment] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if result and result[-1].op == op:
            result[-1].text += text
        else:
            result.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            push("same", "".join(before[i1:i2]))
        else:
            push("removed", "".join(before[i1:i2]))
            push("added", "".join(after[j1:j2]))
    return result


def _articles(version: CharterVersion) -> dict[str, CharterArticle]:
    return {article.number: article for article in version.articles.order_by("id")}


def charter_diff(old: CharterVersion, new: CharterVersion) -> list[ArticleChange]:
    """Every article of either version, in the newer version's order (removed ones after), with its changes."""
    before, after = _articles(old), _articles(new)
    numbers = list(after) + [number for number in before if number not in after]
    changes = []
    for number in numbers:
        a, b = before.get(number), after.get(number)
        fields = ("title", "title_ar", "text", "text_ar")
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "unchanged" if all(getattr(a, f) == getattr(b, f) for f in fields) else "changed"
        change = ArticleChange(number=number, status=status)
        for name in fields:
            setattr(change, name, segments(getattr(a, name, "") if a else "", getattr(b, name, "") if b else ""))
        changes.append(change)
    return changes
