"""Which flow drives which case model."""

from __future__ import annotations

from typing import Any

_flows: dict[str, type] = {}


def register(flow_cls: Any) -> Any:
    """Class decorator: make ``flow_cls`` the flow of its ``model``."""
    _flows[flow_cls.model._meta.label_lower] = flow_cls
    return flow_cls


def flow_for(case_type: str | Any) -> Any:
    key = case_type if isinstance(case_type, str) else case_type._meta.label_lower
    try:
        return _flows[key]
    except KeyError:
        raise LookupError(f"No flow is registered for {key!r}.") from None


def all_flows() -> dict[str, type]:
    return dict(_flows)
