"""Digests of a case's audited fields and rows: what each audit event says the case looked like.

A case model declares the fields it audits (``audited_fields = ("title", ...)`` on the model; a field
added to them once cases exist also goes in ``audited_fields_added``, see ``_case_part``); its
flow declares the related rows it audits (``audited_rows = {"votes": AuditedRows(Vote, "request",
fields=(...))}``). Every audit event written by the engine carries, inside the hashed event, the
sha256 digest of the canonical JSON of that snapshot taken after the change (``AuditEvent.digest``)
and, beside it, the snapshot itself (``AuditEvent.snapshot``: long texts as their sha256) so that a
verification can name the row and the field that changed.

``audit_verify`` holds the live rows of every case to the snapshot of its LAST event: a title, an
outcome's visibility or a vote edited outside the engine (a raw UPDATE or DELETE) no longer matches.

Cost: the case's fields come from the row already locked for the change (no query); the audited
rows of all groups come in one ``UNION ALL`` query, each value cast to text by the database (the
same database reads them back at verification, so the texts compare).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import BigIntegerField, CharField, F, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

#: Strings longer than this are kept in the snapshot as their sha256 (the digest covers them all the same).
LONG_TEXT = 160


@dataclass(frozen=True)
class AuditedRows:
    """Rows of another table that belong to a case and are audited with it.

    ``model`` (a class or "app_label.Model"), ``case_field`` the foreign key to the case, ``fields``
    the audited columns. ``one`` for a one-to-one row (an outcome): it is then named without a number.
    """

    model: Any
    case_field: str
    fields: tuple[str, ...]
    one: bool = False

    def get_model(self) -> Any:
        return apps.get_model(self.model) if isinstance(self.model, str) else self.model


def audited_fields(model: Any) -> tuple[str, ...]:
    return tuple(getattr(model, "audited_fields", ()))


def audited_rows(flow_cls: Any) -> dict[str, AuditedRows]:
    return dict(getattr(flow_cls, "audited_rows", None) or {})


def audits_anything(flow_cls: Any) -> bool:
    return bool(audited_fields(flow_cls.model) or audited_rows(flow_cls))


def digest(snapshot: dict[str, Any]) -> str:
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONG_TEXT:
        return {"sha256": hashlib.sha256(value.encode()).hexdigest()}
    return value


def _case_value(model_field: Any, raw: Any) -> Any:
    """One of the case's own values, the same whether it comes from memory or from the database."""
    if raw is None:
        return None
    if model_field.is_relation:
        return raw if isinstance(raw, int | str) else str(raw)
    value = model_field.to_python(raw)
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, bool | int | float | str):
        return _short(value)
    return json.loads(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))


def _case_part(model: Any, values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    # A field audited only since some events were written (``audited_fields_added``) is left out while
    # empty: the snapshots of those earlier events never had it, so their digests still hold.
    added = frozenset(getattr(model, "audited_fields_added", ()))
    return {
        name: _case_value(model._meta.get_field(name), raw)
        for name, raw in values
        if not (raw is None and name in added)
    }


def _attname(model: Any, name: str) -> str:
    return model._meta.get_field(name).attname


def _rows_query(specs: dict[str, AuditedRows], case_ids: list[Any]) -> Any:
    """One UNION ALL over every group: (group, case id, row id, value as text...) padded to one width."""
    width = max(len(spec.fields) for spec in specs.values())
    queries = []
    for name, spec in sorted(specs.items()):
        model = spec.get_model()
        columns: list[Any] = [
            Value(name, output_field=CharField()),
            Cast(F(_attname(model, spec.case_field)), output_field=BigIntegerField()),
            Cast(F("pk"), output_field=BigIntegerField()),
        ]
        columns += [Cast(F(_attname(model, field)), output_field=TextField()) for field in spec.fields]
        columns += [Value(None, output_field=TextField())] * (width - len(spec.fields))
        lookup = {f"{spec.case_field}__in": case_ids} if len(case_ids) != 1 else {spec.case_field: case_ids[0]}
        queries.append(model._base_manager.filter(**lookup).order_by().values_list(*columns))
    first, *rest = queries
    return first.union(*rest, all=True) if rest else first


def _rows_part(specs: dict[str, AuditedRows], case_ids: list[Any]) -> dict[Any, dict[str, dict[str, Any]]]:
    """{case id: {group: {row id: {field: text}}}}, every group present (empty when it has no rows)."""
    found: dict[Any, dict[str, dict[str, Any]]] = {case_id: {name: {} for name in specs} for case_id in case_ids}
    if not specs or not case_ids:
        return found
    for group, case_id, row_id, *values in _rows_query(specs, case_ids):
        fields = specs[group].fields
        found.setdefault(case_id, {name: {} for name in specs})[group][str(row_id)] = {
            field: _short(value) for field, value in zip(fields, values, strict=False)
        }
    return found


def take(case: Any, flow_cls: Any, *, rows: bool = True) -> dict[str, Any] | None:
    """The snapshot of ``case`` now: its audited fields (from memory) and its audited rows (one query).

    ``rows=False`` for a case just created: it has no rows yet, so none are read.
    """
    fields = audited_fields(type(case))
    specs = audited_rows(flow_cls)
    if not fields and not specs:
        return None
    snapshot: dict[str, Any] = {
        "case": _case_part(type(case), ((name, getattr(case, _attname(type(case), name))) for name in fields))
    }
    if specs:
        snapshot["rows"] = _rows_part(specs, [case.pk])[case.pk] if rows else {name: {} for name in specs}
    return snapshot


def live(model: Any, flow_cls: Any, case_ids: list[Any], *, lock: bool = False) -> dict[Any, dict[str, Any]]:
    """The snapshots of the live rows of ``case_ids`` (a batch: two queries)."""
    fields = audited_fields(model)
    specs = audited_rows(flow_cls)
    queryset = model._base_manager.filter(pk__in=case_ids)
    if lock:
        queryset = queryset.select_for_update()
    attnames = [_attname(model, name) for name in fields]
    cases = {row[0]: row[1:] for row in queryset.values_list("pk", *attnames)}
    rows = _rows_part(specs, list(cases)) if specs else {}
    snapshots = {}
    for pk, values in cases.items():
        snapshot: dict[str, Any] = {"case": _case_part(model, zip(fields, values, strict=True))}
        if specs:
            snapshot["rows"] = rows[pk]
        snapshots[pk] = snapshot
    return snapshots


@dataclass
class Difference:
    """The first thing that differs between a recorded snapshot and the live rows."""

    code: str  # field_changed, row_changed, row_added, row_deleted
    group: str  # "" for the case's own fields
    row: str  # the row's id ("" for the case)
    field: str
    before: Any = None
    after: Any = None

    def params(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "row": self.row,
            "field": self.field,
            "before": _shown(self.before),
            "after": _shown(self.after),
        }


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict) and "sha256" in value:
        return "sha256:" + str(value["sha256"])[:12] + "…"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def first_difference(recorded: dict[str, Any], current: dict[str, Any]) -> Difference | None:
    recorded_case, current_case = recorded.get("case") or {}, current.get("case") or {}
    for name in sorted(set(recorded_case) | set(current_case)):
        if recorded_case.get(name) != current_case.get(name):
            return Difference("field_changed", "", "", name, recorded_case.get(name), current_case.get(name))
    recorded_rows, current_rows = recorded.get("rows") or {}, current.get("rows") or {}
    for group in sorted(set(recorded_rows) | set(current_rows)):
        before, after = recorded_rows.get(group) or {}, current_rows.get(group) or {}
        for row in sorted(set(before) | set(after), key=lambda key: (len(key), key)):
            if row not in after:
                return Difference("row_deleted", group, row, "")
            if row not in before:
                return Difference("row_added", group, row, "")
            for name in sorted(set(before[row]) | set(after[row])):
                if before[row].get(name) != after[row].get(name):
                    return Difference("row_changed", group, row, name, before[row].get(name), after[row].get(name))
    return None


def describe(case_type: str, params: dict[str, Any]) -> str:
    """What differs, in the reader's language: "title", "outcome visibility", "vote #12 vote"."""
    from .registry import all_flows

    flow_cls: Any = all_flows().get(case_type)
    group, row, field = params.get("group", ""), params.get("row", ""), params.get("field", "")
    if flow_cls is None:
        return " ".join(part for part in (group, row, field) if part)
    if not group:
        return _label(flow_cls.model, field)
    spec = audited_rows(flow_cls).get(group)
    if spec is None:
        return " ".join(part for part in (group, row, field) if part)
    model = spec.get_model()
    name = str(model._meta.verbose_name)
    what = name if spec.one else pgettext("audited row", "%(row)s #%(id)s") % {"row": name, "id": row}
    if not field:
        return what
    return pgettext("audited row field", "%(row)s %(field)s") % {"row": what, "field": _label(model, field)}


def _label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed from the model: its name will do
        return name


NO_DIGEST_NOTE = _("%(count)s cases were not compared with their rows: their last event predates digests.")
