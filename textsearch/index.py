"""Keeping the search entries in step with their sources, and matching them.

A *source* is a model whose rows carry searchable text for a case: the dialogue request itself, its
public outcome; another workflow (the outcome register, trackable recommendations) registers its own
with :func:`register` and the same search finds its cases. Entries are written on save (signals in
``sources``), and :func:`reindex_all` rebuilds them (``manage.py search_reindex``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, QuerySet, Value

from .models import SearchEntry
from .normalize import normalize, terms


@dataclass(frozen=True)
class Source:
    name: str
    model: type[Any]
    #: (case_type, case_id) the row's matches lead to
    case_of: Callable[[Any], tuple[str, int]]
    #: the row's searchable text, or None when it must not be searchable (a restricted outcome)
    text_of: Callable[[Any], str | None]
    #: every row, for a full rebuild (with what text_of reads loaded)
    rows: Callable[[], Iterable[Any]]
    #: attributes whose change makes the text change (a save changing none of them writes nothing)
    watched: tuple[str, ...] = field(default_factory=tuple)
    #: for a row that belongs to several cases (a harvested outcome linked to several requests): all of
    #: them; used instead of ``case_of``
    cases_of: Callable[[Any], list[tuple[str, int]]] | None = None

    def cases(self, row: Any) -> list[tuple[str, int]]:
        return self.cases_of(row) if self.cases_of is not None else [self.case_of(row)]


SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    SOURCES[source.name] = source


def write(source: Source, row: Any) -> None:
    """Write (or remove) ``row``'s entry."""
    text = source.text_of(row)
    if text is None:
        SearchEntry.objects.filter(source=source.name, object_id=row.pk).delete()
        return
    cases = source.cases(row)
    if source.cases_of is not None:
        # the set of cases may have changed: entries of cases no longer linked go
        stale = SearchEntry.objects.filter(source=source.name, object_id=row.pk)
        for case_type, case_id in cases:
            stale = stale.exclude(case_type=case_type, case_id=case_id)
        stale.delete()
    folded = normalize(text)
    SearchEntry.objects.bulk_create(
        [
            SearchEntry(source=source.name, object_id=row.pk, case_type=case_type, case_id=case_id, text=folded)
            for case_type, case_id in cases
        ],
        update_conflicts=True,
        unique_fields=["source", "object_id", "case_type", "case_id"],
        update_fields=["text", "updated_at"],
    )


def remove(source: Source, pk: Any) -> None:
    SearchEntry.objects.filter(source=source.name, object_id=pk).delete()


def reindex_all(names: Iterable[str] | None = None) -> dict[str, int]:
    """Rebuild the entries of every (or the named) source; returns rows indexed per source."""
    counts: dict[str, int] = {}
    for name in names or list(SOURCES):
        source = SOURCES[name]
        entries = []
        for row in source.rows():
            text = source.text_of(row)
            if text is None:
                continue
            folded = normalize(text)
            entries.extend(
                SearchEntry(source=name, object_id=row.pk, case_type=case_type, case_id=case_id, text=folded)
                for case_type, case_id in source.cases(row)
            )
        with transaction.atomic():
            SearchEntry.objects.filter(source=name).delete()
            SearchEntry.objects.bulk_create(entries, batch_size=500)
        counts[name] = len(entries)
    return counts


def joined(*parts: Any) -> str:
    """Non-empty parts on separate lines (lists flattened)."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, list | tuple):
            out.extend(str(item) for item in part if item)
        elif part:
            out.append(str(part))
    return "\n".join(out)


class _TsMatch(Func):
    """``to_tsvector('simple', text) @@ to_tsquery('simple', query)``: the GIN index's own expression."""

    arg_joiner = ") @@ to_tsquery('simple'::regconfig, "
    template = "(to_tsvector('simple'::regconfig, %(expressions)s))"
    output_field = BooleanField()


def matching_case_ids(case_type: str, text: str) -> QuerySet[SearchEntry] | None:
    """``case_id`` values of the cases of ``case_type`` whose text has every word of ``text``.

    Words match by prefix. On PostgreSQL: full-text search over ``to_tsvector('simple', text)`` (the
    GIN index), the query a prefix ``to_tsquery``; elsewhere ``LIKE '%word%'`` per word (a scan, fine
    for the few thousand requests a SQLite deployment holds). None when ``text`` has no word.
    """
    words = terms(text)
    if not words:
        return None
    entries = SearchEntry.objects.filter(case_type=case_type)
    if connection.vendor == "postgresql":
        # Words are \w+ only, so the tsquery syntax cannot be injected; still passed as a parameter.
        query = " & ".join(f"{word}:*" for word in words)
        entries = entries.filter(_TsMatch(F("text"), Value(query)))
    else:
        for word in words:
            entries = entries.filter(text__contains=word)
    return entries.values("case_id")


def search(queryset: QuerySet[Any], text: str) -> QuerySet[Any]:
    """``queryset`` (cases; already limited to what the person may see) narrowed to those matching ``text``.

    A case matches when one of its entries has every word of ``text`` (normalized, by prefix), or
    its reference contains ``text``.
    """
    from django.db.models import Q

    text = (text or "").replace("\x00", "").strip()[:200]
    ids = matching_case_ids(queryset.model.case_type(), text)
    if ids is None:
        return queryset
    return queryset.filter(Q(pk__in=ids) | Q(reference__icontains=text))
