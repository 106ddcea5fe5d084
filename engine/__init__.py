"""The generic case engine: no partnership vocabulary lives here.

Public API (imported lazily so the app registry can load first)::

    engine.run(case, "accept", actor=user, data={...})
    engine.run(case, "vote_cast", actor=user, data={...})   # actions that keep the state too
    engine.capabilities(case, user)      # what user may do now, and why not; what they may read
    engine.record(case, "committee_tied", actor=None, data={...})   # a declared event of the flow
    engine.create_case(Model, actor=user, **fields)
    engine.record_read(case, actor=user, what="outcome")   # a restricted read: the access log, no case lock
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "run": "engine.service",
    "record": "engine.service",
    "lock": "engine.service",
    "available_transitions": "engine.service",
    "capabilities": "engine.service",
    "authorize": "engine.service",
    "create_case": "engine.service",
    "TransitionResult": "engine.service",
    "Flow": "engine.flows",
    "transition": "engine.flows",
    "Reason": "engine.reasons",
    "Role": "engine.roles",
    "register": "engine.registry",
    "RequestContext": "engine.audit",
    "record_read": "engine.access_log",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(module), name)
