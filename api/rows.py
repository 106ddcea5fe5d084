"""A ModelSerializer's list answer rendered from ``.values()`` rows: the same JSON, a fraction of the work.

DRF builds a list answer by instantiating every model (and every related model), then walking each
serializer field of each row through ``get_attribute`` and ``to_representation``: at 100 rows of 30
fields with nested organizations that is most of a list call's time. ``ValuesRows`` reads the
serializer's fields ONCE and compiles each into a lookup for ``QuerySet.values()`` plus the plain
conversion DRF would apply to it (a datetime in the current time zone as ISO 8601, a date as ISO 8601,
an int, a bool, a str). A page is then one ``values()`` query for the rows and one query per
many-to-many field for the whole page: the number of queries does not depend on the page size.

The serializer stays the one description of the answer (and of the schema): a field added to it
appears here by itself. A field this module does not know how to read from a values row falls back
to the serializer field's own ``to_representation`` on the fetched value, and a field it cannot fetch
at all (a method field without a given function, a non-model source) refuses at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _is_iso(field: serializers.Field, default: str) -> bool:
    output_format = getattr(field, "format", default)
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _converter(field: serializers.Field) -> Convert | None:
    """The per-value conversion DRF's ``field.to_representation`` makes, without the field; None: use the field.

    Only called for values that are not None (DRF renders None as None without asking the field).
    Datetimes need the current time zone, which may change per request: see ``_datetime``.
    """
    if isinstance(field, serializers.DateTimeField):
        return None  # handled per page (time zone), see ValuesRows.render
    if isinstance(field, serializers.DateField):
        if _is_iso(field, api_settings.DATE_FORMAT):
            return lambda value: value.isoformat() if value else None
        return None
    kind = type(field)
    if kind is serializers.BooleanField:
        return bool
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.ChoiceField:
        mapping = field.choice_strings_to_values  # type: ignore[attr-defined]
        return lambda value: mapping.get(str(value), value)
    if kind in (serializers.CharField, serializers.SlugField, serializers.EmailField, serializers.URLField):
        return str
    return None


def _datetime_converter(field: serializers.DateTimeField) -> Callable[[Any], Convert]:
    """Given the page's time zone, the conversion DRF's ``DateTimeField.to_representation`` makes."""
    if not _is_iso(field, api_settings.DATETIME_FORMAT) or getattr(field, "timezone", None) is not None:
        return lambda _zone: field.to_representation

    def for_zone(zone: Any) -> Convert:
        if zone is None:
            return field.to_representation

        def convert(value: Any) -> Any:
            if not value or isinstance(value, str):
                return value or None
            if timezone.is_naive(value):
                return field.to_representation(value)
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return convert

    return for_zone


class _Plain:
    """One field read from one values column."""

    def __init__(self, name: str, lookup: str, field: serializers.Field) -> None:
        self.name, self.lookup, self.field = name, lookup, field
        self.convert = _converter(field)
        self.for_zone = _datetime_converter(field) if isinstance(field, serializers.DateTimeField) else None

    def lookups(self) -> list[str]:
        return [self.lookup]

    def bind(self, zone: Any) -> Callable[[dict[str, Any], dict[Any, list[Any]]], Any]:
        lookup = self.lookup
        convert = self.for_zone(zone) if self.for_zone is not None else (self.convert or self.field.to_representation)

        def read(row: dict[str, Any], _many: dict[Any, list[Any]]) -> Any:
            value = row[lookup]
            return None if value is None else convert(value)

        return read


class _Nested:
    """A nested serializer over a foreign key: its flat fields read from ``fk__field`` columns."""

    def __init__(self, name: str, path: str, serializer: serializers.Serializer, model: Any) -> None:
        self.name = name
        relation = model._meta.get_field(path)
        self.null_lookup = relation.attname  # the foreign key's own column: None means no object
        self.fields = _compile(serializer, relation.related_model, prefix=f"{path}__")

    def lookups(self) -> list[str]:
        return [self.null_lookup, *(lookup for part in self.fields for lookup in part.lookups())]

    def bind(self, zone: Any) -> Callable[[dict[str, Any], dict[Any, list[Any]]], Any]:
        null_lookup = self.null_lookup
        parts = [(part.name, part.bind(zone)) for part in self.fields]

        def read(row: dict[str, Any], many: dict[Any, list[Any]]) -> Any:
            if row[null_lookup] is None:
                return None
            return {name: part(row, many) for name, part in parts}

        return read


class _Many:
    """A nested ``many=True`` serializer over a many-to-many field: one query for the whole page."""

    def __init__(self, name: str, path: str, serializer: serializers.Serializer, model: Any) -> None:
        self.name, self.path = name, path
        relation = model._meta.get_field(path)
        self.related_model = relation.related_model
        # The reverse name from the related rows back to ours (what prefetch_related filters on).
        self.back = relation.remote_field.related_query_name or relation.remote_field.related_name
        self.fields = _compile(serializer.child, self.related_model)  # type: ignore[attr-defined]

    def lookups(self) -> list[str]:
        return []

    def fetch(self, ids: list[Any], zone: Any) -> dict[Any, list[Any]]:
        """{our row id: [rendered related rows]} in the related model's default order, like a prefetch."""
        columns = sorted({lookup for part in self.fields for lookup in part.lookups()})
        parts = [(part.name, part.bind(zone)) for part in self.fields]
        found: dict[Any, list[Any]] = {pk: [] for pk in ids}
        if not ids:
            return found
        rows = self.related_model._default_manager.filter(**{f"{self.back}__in": ids}).values(self.back, *columns)
        for row in rows:
            found[row[self.back]].append({name: part(row, {}) for name, part in parts})
        return found

    def bind(self, zone: Any) -> Callable[[dict[str, Any], dict[Any, list[Any]]], Any]:
        key = self.name

        def read(row: dict[str, Any], many: dict[Any, list[Any]]) -> Any:
            return many[key][row["pk"]]

        return read


class _Method:
    """A ``SerializerMethodField`` answered by a given function of the values row."""

    def __init__(self, name: str, function: Callable[[dict[str, Any]], Any], lookups: Iterable[str]) -> None:
        self.name, self.function, self._lookups = name, function, list(lookups)

    def lookups(self) -> list[str]:
        return self._lookups

    def bind(self, zone: Any) -> Callable[[dict[str, Any], dict[Any, list[Any]]], Any]:
        function = self.function
        return lambda row, _many: function(row)


def _compile(
    serializer: serializers.Serializer,
    model: Any,
    *,
    prefix: str = "",
    methods: dict[str, tuple[Callable[[dict[str, Any]], Any], tuple[str, ...]]] | None = None,
) -> list[Any]:
    parts: list[Any] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if methods and name in methods:
            function, lookups = methods[name]
            parts.append(_Method(name, function, (f"{prefix}{lookup}" for lookup in lookups)))
            continue
        source = field.source
        if isinstance(field, serializers.SerializerMethodField) or source == "*":
            raise ImproperlyConfigured(f"{type(serializer).__name__}.{name}: give a function for it in methods=")
        path = source.replace(".", "__")
        if isinstance(field, serializers.ListSerializer):
            if prefix:
                raise ImproperlyConfigured(f"{type(serializer).__name__}.{name}: many rows inside a nested row")
            parts.append(_Many(name, path, field, model))
        elif isinstance(field, serializers.Serializer):
            parts.append(_Nested(name, f"{prefix}{path}", field, model))
        else:
            parts.append(_Plain(name, f"{prefix}{path}", field))
    return parts


class PagedValues:
    """What a paginator slices: the values rows, counted on the queryset WITHOUT the values' joins.

    ``values("theme__code", ...)`` joins the related tables, and a count over that values queryset
    keeps the joins (three joins over every visible row); the plain queryset counts its rows alone.
    """

    def __init__(self, queryset: QuerySet[Any], rows: QuerySet[Any]) -> None:
        self.queryset, self.rows = queryset, rows
        self.ordered = rows.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]


class ValuesRows:
    """Render ``serializer_class(rows, many=True).data`` from ``values()`` rows, field for field the same.

    ``methods`` answers the serializer's method fields: ``{"state_label": (function(row), ("state",))}``
    (the function reads the named model lookups from the row).
    """

    def __init__(
        self,
        serializer_class: type[serializers.ModelSerializer],
        *,
        methods: dict[str, tuple[Callable[[dict[str, Any]], Any], tuple[str, ...]]] | None = None,
    ) -> None:
        self.serializer_class = serializer_class
        self.model = serializer_class.Meta.model
        self.parts = _compile(serializer_class(), self.model, methods=methods)
        self.columns = sorted({"pk", *(lookup for part in self.parts for lookup in part.lookups())})
        self.many = [part for part in self.parts if isinstance(part, _Many)]

    def values(self, queryset: QuerySet[Any]) -> PagedValues:
        """``queryset`` (filtered and ordered) as the values rows to paginate: one query, no model objects."""
        return PagedValues(queryset, queryset.prefetch_related(None).values(*self.columns))

    def render(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The serializer's answer for ``rows`` (from ``values()``), plus one query per many-to-many field."""
        rows = list(rows)
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        ids = [row["pk"] for row in rows]
        many = {part.name: part.fetch(ids, zone) for part in self.many}
        readers = [(part.name, part.bind(zone)) for part in self.parts]
        return [{name: read(row, many) for name, read in readers} for row in rows]
