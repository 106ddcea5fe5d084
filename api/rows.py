"""A ModelSerializer's list answer rendered from ``.values()`` rows: the same JSON, a fraction of the work.

DRF builds a list answer by instantiating every model (and every related model), then walking each
serializer field of each row through ``get_attribute`` and ``to_representation``: at 100 rows of 30
fields with nested organizations that is most of a list call's time. ``ValuesRows`` reads the
serializer's fields ONCE and compiles each into a lookup for ``QuerySet.values()`` plus the plain
conversion DRF would apply to it (a datetime in the current time zone as ISO 8601, a date as ISO 8601;
a str, int or bool as the database gave it), then all of them into one function per time zone whose
body is a single dict display. A page is then one ``values()`` query for the rows and one query per
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


_COMPILED: dict[tuple[int, Any], Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {}


class _Env:
    """The names a compiled row function refers to (converters, functions)."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name


def _compiled(parts: list[Any], zone: Any) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """One function ``(row, many) -> answer`` whose body is a single dict display: no per-field call.

    Compiled once per field list and time zone (``parts`` lists live as long as the module's renderers).
    """
    key = (id(parts), zone)
    if key not in _COMPILED:
        _COMPILED[key] = _compile_function(parts, zone)
    return _COMPILED[key]


def _compile_function(parts: list[Any], zone: Any) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    env = _Env()
    body = ", ".join(f"{part.name!r}: {part.source(env, zone)}" for part in parts)
    namespace = dict(env.names)
    exec(f"def render(row, many):\n    return {{{body}}}\n", namespace)  # noqa: S102 - our own field names only
    return namespace["render"]  # type: ignore[no-any-return]


class _Plain:
    """One field read from one values column."""

    def __init__(self, name: str, lookup: str, field: serializers.Field) -> None:
        self.name, self.lookup, self.field = name, lookup, field
        self.convert = _converter(field)
        self.for_zone = _datetime_converter(field) if isinstance(field, serializers.DateTimeField) else None

    def lookups(self) -> list[str]:
        return [self.lookup]

    def _unchanged(self) -> bool:
        """Whether DRF gives back the database's value itself (a str for a str, an int for an int ...)."""
        if type(self.field) is serializers.ChoiceField:
            mapping = self.field.choice_strings_to_values  # type: ignore[attr-defined]
            return all(isinstance(key, str) and key == text for text, key in mapping.items())
        return self.convert in (str, int, bool)

    def source(self, env: _Env, zone: Any) -> str:
        read = f"row[{self.lookup!r}]"
        if self.for_zone is None and self._unchanged():
            return read
        convert = self.for_zone(zone) if self.for_zone is not None else (self.convert or self.field.to_representation)
        return f"(None if (v := {read}) is None else {env.add(convert)}(v))"


class _Nested:
    """A nested serializer over a foreign key: its flat fields read from ``fk__field`` columns."""

    def __init__(self, name: str, path: str, serializer: serializers.Serializer, model: Any) -> None:
        self.name = name
        relation = model._meta.get_field(path)
        self.null_lookup = relation.attname  # the foreign key's own column: None means no object
        self.fields = _compile(serializer, relation.related_model, prefix=f"{path}__")

    def lookups(self) -> list[str]:
        return [self.null_lookup, *(lookup for part in self.fields for lookup in part.lookups())]

    def source(self, env: _Env, zone: Any) -> str:
        inner = ", ".join(f"{part.name!r}: {part.source(env, zone)}" for part in self.fields)
        return f"(None if row[{self.null_lookup!r}] is None else {{{inner}}})"


class _Many:
    """A nested ``many=True`` serializer over a many-to-many field: one query for the whole page."""

    def __init__(self, name: str, path: str, serializer: serializers.Serializer, model: Any) -> None:
        self.name, self.path = name, path
        relation = model._meta.get_field(path)
        self.related_model = relation.related_model
        # The reverse name from the related rows back to ours (what prefetch_related filters on).
        self.back = relation.remote_field.related_query_name or relation.remote_field.related_name
        self.fields = _compile(serializer.child, self.related_model)  # type: ignore[attr-defined]
        self.columns = sorted({lookup for part in self.fields for lookup in part.lookups()})

    def lookups(self) -> list[str]:
        return []

    def fetch(self, ids: list[Any], zone: Any) -> dict[Any, list[Any]]:
        """{our row id: [rendered related rows]} in the related model's default order, like a prefetch."""
        found: dict[Any, list[Any]] = {pk: [] for pk in ids}
        if not ids:
            return found
        render = _compiled(self.fields, zone)
        rows = self.related_model._default_manager.filter(**{f"{self.back}__in": ids}).values(self.back, *self.columns)
        for row in rows:
            found[row[self.back]].append(render(row, {}))
        return found

    def source(self, env: _Env, zone: Any) -> str:
        return f"many[{self.name!r}][row['pk']]"


class _Method:
    """A ``SerializerMethodField`` answered by a given function of the values row."""

    def __init__(self, name: str, function: Callable[[dict[str, Any]], Any], lookups: Iterable[str]) -> None:
        self.name, self.function, self._lookups = name, function, list(lookups)

    def lookups(self) -> list[str]:
        return self._lookups

    def source(self, env: _Env, zone: Any) -> str:
        return f"{env.add(self.function)}(row)"


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
        render = _compiled(self.parts, zone)
        return [render(row, many) for row in rows]
