"""Every benchmark's figures as JSON (``--json PATH``), so two runs can be compared figure by figure.

A figure is a name, a value and a unit; most also name the in-run baseline they are measured
against (a raw UPDATE, the bare ORM loop, Django sending mail in one loop ...) and the ratio to it::

    figures = Figures("sla_scan")
    figures.add("raw update", 12.5, "ms")
    figures.add("full scan", 30.1, "ms", baseline="raw update")
    figures.write(args.json)

writes ``{"benchmark": "sla_scan", "figures": {"raw update": 12.5, "full scan": 30.1},
"details": {"full scan": {"unit": "ms", "baseline": "raw update", "baseline_value": 12.5,
"ratio": 2.408}, ...}, ...}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the figures to PATH as JSON")


class Figures:
    """The figures of one benchmark run, in the order they were measured."""

    def __init__(self, benchmark: str, **parameters: Any) -> None:
        self.benchmark = benchmark
        self.parameters = dict(parameters)
        self.values: dict[str, float] = {}
        self.details: dict[str, dict[str, Any]] = {}

    def add(self, name: str, value: float, unit: str = "", *, baseline: str | None = None, **extra: Any) -> float:
        """Record ``name``; with ``baseline`` (a figure recorded earlier) also the ratio to it."""
        self.values[name] = float(value)
        detail: dict[str, Any] = {"unit": unit, **extra}
        if baseline is not None:
            base = self.values[baseline]
            detail.update(baseline=baseline, baseline_value=base, ratio=round(value / base, 4) if base else None)
        self.details[name] = detail
        return value

    def ratio(self, name: str) -> float | None:
        return self.details.get(name, {}).get("ratio")

    def as_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "parameters": self.parameters,
            "figures": self.values,
            "details": self.details,
        }

    def write(self, path: Path | str | None) -> None:
        if not path:
            return
        Path(path).write_text(json.dumps(self.as_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        print(f"figures written to {path}")
