"""The demo hook registry: each workflow registers how it builds its part of ``manage.py demo``.

A workflow's ``demo`` module registers its hook when it is imported; the one ``demo`` command (the
engine's) imports every installed app's ``demo`` module and runs the hooks in their order, so a workflow
that builds on another's demo (the accession demo needs the partnership demo's secretariat) says so with a
larger ``order`` instead of relying on the order of INSTALLED_APPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules, import_string

#: hook(password=..., stdout=..., stderr=...) builds one workflow's demo (idempotently) and reports on stdout
DemoHook = Callable[..., None]


@dataclass(frozen=True)
class Registered:
    name: str
    order: int
    hook: DemoHook


_HOOKS: dict[str, Registered] = {}


def register(name: str, hook: DemoHook | None = None, *, command: str = "", order: int = 100) -> None:
    """Register ``name``'s demo: a ``hook``, or an existing management ``command`` module run with ``--password``."""
    if hook is None:
        if not command:
            raise ValueError("register a demo hook or a command module")
        hook = command_hook(command)
    _HOOKS[name] = Registered(name=name, order=order, hook=hook)


def command_hook(module: str) -> DemoHook:
    """A hook running the ``Command`` of management command ``module`` with the demo's password."""

    def run(*, password: str, stdout: Any, stderr: Any) -> None:
        command = import_string(f"{module}.Command")(stdout=stdout, stderr=stderr)
        command.handle(password=password)

    return run


def hooks() -> list[Registered]:
    """Every installed app's demo hook, in order (the apps' ``demo`` modules are imported first)."""
    autodiscover_modules("demo")
    return sorted(_HOOKS.values(), key=lambda registered: (registered.order, registered.name))
