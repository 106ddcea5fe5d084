"""Diagrams of a flow's state machine, drawn from our own transition definitions.

Only ``Flow.states()`` and ``Flow.specs()`` (sources, target, label, roles, system, pauses_clock) are
read; viewflow's chart module carries a commercial licence and is never used. DOT and Mermaid are
text; SVG goes through Graphviz's ``dot`` when it is installed, and otherwise through a small layered
layout of our own: states top to bottom in lifecycle order, forward jumps routed on the right,
returns on the left, each in its own lane.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import registry

FORMATS = ("dot", "mermaid", "svg")


@dataclass(frozen=True)
class Node:
    name: str
    label: str
    initial: bool = False
    final: bool = False


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    name: str
    label: str
    roles: tuple[str, ...] = ()
    system: bool = False
    pauses_clock: bool = False

    def notes(self) -> str:
        """Who may run it and how it behaves, in a few words."""
        parts = []
        if self.roles:
            parts.append(", ".join(self.roles))
        if self.system:
            parts.append(_("system"))
        if self.pauses_clock:
            parts.append(_("pauses the clock"))
        return " · ".join(parts)

    def caption(self, separator: str = " ") -> str:
        notes = self.notes()
        return f"{self.label}{separator}({notes})" if notes else self.label


@dataclass
class Graph:
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def index(self) -> dict[str, int]:
        return {node.name: position for position, node in enumerate(self.nodes)}


def flow_choices() -> list[str]:
    """Case types that have a registered flow, e.g. ``sample.ticket``."""
    return sorted(registry.all_flows())


def flow_named(case_type: str) -> Any:
    """The flow class registered for ``case_type``; LookupError naming the choices otherwise."""
    flows = registry.all_flows()
    flow_cls = flows.get(case_type.strip().lower())
    if flow_cls is None:
        raise LookupError(
            _("Unknown flow “%(flow)s”. Choose one of: %(choices)s.")
            % {"flow": case_type, "choices": ", ".join(flow_choices()) or "—"}
        )
    return flow_cls


def flow_graph(flow_cls: Any) -> Graph:
    """The states and transitions of ``flow_cls`` as plain data (labels in the active language)."""
    specs = list(flow_cls.specs().values())
    names = list(flow_cls.states())
    for spec in specs:
        for state in [*spec.sources, *spec.targets]:
            if state not in names:
                names.append(state)
    initial = str(flow_cls.state._default) if getattr(flow_cls.state, "_default", None) is not None else None
    labels = getattr(flow_cls, "state_labels", {}) or {}
    nodes = [
        Node(name=name, label=str(labels.get(name, name)), initial=name == initial, final=name in flow_cls.final_states)
        for name in names
    ]
    edges = [
        Edge(
            source=source,
            target=target,
            name=spec.name,
            label=str(spec.label),
            roles=tuple(str(role.label) for role in spec.roles),
            system=spec.system,
            pauses_clock=spec.pauses_clock,
        )
        for spec in specs
        for source in spec.sources
        for target in spec.targets
    ]
    meta = flow_cls.model._meta
    title = f"{capfirst(str(meta.verbose_name))} ({meta.label_lower})"
    return Graph(title=title, nodes=nodes, edges=edges)


# --- DOT --------------------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    """Graphviz DOT: final states with a double border, system transitions dashed."""
    lines = [
        f"digraph {_dot_quote(graph.title)} {{",
        "  rankdir=TB;",
        f'  label={_dot_quote(graph.title)}; labelloc=t; fontname="Noto Sans, DejaVu Sans, sans-serif";',
        '  node [shape=box, style="rounded", fontname="Noto Sans, DejaVu Sans, sans-serif", fontsize=12];',
        '  edge [fontname="Noto Sans, DejaVu Sans, sans-serif", fontsize=10];',
    ]
    for node in graph.nodes:
        attributes = [f"label={_dot_quote(node.label)}"]
        if node.final:
            attributes.append("peripheries=2")
        if node.initial:
            attributes.append("penwidth=2")
        lines.append(f"  {_dot_quote(node.name)} [{', '.join(attributes)}];")
    initial = next((node for node in graph.nodes if node.initial), None)
    if initial is not None:
        lines.append('  "__start__" [shape=point, width=0.15, label=""];')
        lines.append(f'  "__start__" -> {_dot_quote(initial.name)};')
    for edge in graph.edges:
        attributes = [f"label={_dot_quote(edge.caption(separator=chr(10)))}", f"tooltip={_dot_quote(edge.name)}"]
        if edge.system:
            attributes.append("style=dashed")
        if edge.pauses_clock:
            attributes.append("color=darkorange")
        lines.append(f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid ----------------------------------------------------------------------------------


def _mermaid_id(name: str) -> str:
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)
    return f"s_{cleaned}" if not cleaned or cleaned[0].isdigit() else cleaned


def _mermaid_text(text: str) -> str:
    # ':' starts a label, ';' ends a statement, '"' ends a description, '#' starts an entity code.
    return text.replace(":", " -").replace(";", ",").replace('"', "'").replace("#", "").replace("\n", " ")


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``stateDiagram-v2``: ``[*]`` marks the initial state and every final state."""
    lines = ["stateDiagram-v2", f"    %% {_mermaid_text(graph.title)}"]
    for node in graph.nodes:
        lines.append(f'    state "{_mermaid_text(node.label)}" as {_mermaid_id(node.name)}')
    for node in graph.nodes:
        if node.initial:
            lines.append(f"    [*] --> {_mermaid_id(node.name)}")
    for edge in graph.edges:
        lines.append(f"    {_mermaid_id(edge.source)} --> {_mermaid_id(edge.target)} : {_mermaid_text(edge.caption())}")
    finals = [node for node in graph.nodes if node.final]
    for node in finals:
        lines.append(f"    {_mermaid_id(node.name)} --> [*]")
    if finals:
        lines.append("    classDef final stroke-width:3px,font-weight:bold")
        lines.append(f"    class {','.join(_mermaid_id(node.name) for node in finals)} final")
    return "\n".join(lines) + "\n"


# --- SVG --------------------------------------------------------------------------------------


def to_svg(graph: Graph, *, use_dot: bool = True) -> str:
    """SVG through Graphviz when ``dot`` is installed, else our own layered drawing."""
    binary = shutil.which("dot") if use_dot else None
    if binary:
        try:
            completed = subprocess.run(  # noqa: S603  (fixed binary, DOT text on stdin)
                [binary, "-Tsvg"], input=to_dot(graph).encode(), capture_output=True, timeout=60, check=True
            )
            return completed.stdout.decode()
        except (OSError, subprocess.SubprocessError):
            pass
    return layered_svg(graph)


_FONT = 12
_CHAR = 7.2  # average advance of a 12 px sans-serif glyph, for sizing boxes and label backgrounds
_BOX_H = 36
_PITCH = 84
_LANE = 18
_MARGIN = 24
_TOP = 56
_LEGEND_LINE = 18


def _text_width(text: str, size: int = _FONT) -> float:
    return len(text) * _CHAR * size / _FONT


@dataclass
class _Route:
    """One transition into one target, drawn once however many states it leaves from."""

    name: str
    target: str
    sources: list[str]
    label: str
    edge: Edge
    kind: str = "right"  # straight | right | left | loop
    lane: int = 0
    low: int = 0
    high: int = 0
    ports: dict[str, float] = field(default_factory=dict)


def _routes(graph: Graph, index: dict[str, int]) -> list[_Route]:
    groups: dict[tuple[str, str], list[Edge]] = {}
    for edge in graph.edges:
        groups.setdefault((edge.name, edge.target), []).append(edge)
    routes: list[_Route] = []
    straight: set[tuple[str, str]] = set()
    for (name, target), edges in groups.items():
        first = edges[0]
        for edge in edges:
            if edge.source == target:
                routes.append(_Route(name, target, [target], first.label, first, kind="loop"))
        sources = [edge.source for edge in edges if edge.source != target]
        if not sources:
            continue
        route = _Route(name, target, sources, first.label, first)
        positions = [index[source] for source in sources] + [index[target]]
        route.low, route.high = min(positions), max(positions)
        if len(sources) == 1 and index[target] - index[sources[0]] == 1 and (sources[0], target) not in straight:
            straight.add((sources[0], target))
            route.kind = "straight"
        elif all(index[source] > index[target] for source in sources):
            route.kind = "left"
        routes.append(route)
    return routes


def _assign_lanes(routes: list[_Route]) -> int:
    """Greedy interval colouring: short spans hug the boxes; overlapping spans never share a lane."""
    lanes: list[list[tuple[int, int]]] = []
    for route in sorted(routes, key=lambda r: (r.high - r.low, r.low)):
        for number, taken in enumerate(lanes):
            if all(route.high < low or route.low > high for low, high in taken):
                taken.append((route.low, route.high))
                route.lane = number
                break
        else:
            lanes.append([(route.low, route.high)])
            route.lane = len(lanes) - 1
    return len(lanes)


def layered_svg(graph: Graph) -> str:
    """A readable SVG with no external tool: one box per state in lifecycle order, labelled arrows.

    Transitions to the next state go straight down; longer jumps forward run in lanes on the right,
    returns in lanes on the left; a transition from several states is one lane with several stubs.
    Who may run each transition is listed under the drawing (and shown on hover).
    """
    index = graph.index()
    routes = _routes(graph, index)
    right = [route for route in routes if route.kind == "right"]
    left = [route for route in routes if route.kind == "left"]
    right_lanes, left_lanes = _assign_lanes(right), _assign_lanes(left)

    widest_right = max((_text_width(r.label) for r in right), default=0)
    widest_left = max((_text_width(r.label) for r in left), default=0)
    box_w = max(150.0, max((_text_width(node.label, 13) for node in graph.nodes), default=0) + 32)
    box_x = _MARGIN + (left_lanes * _LANE + widest_left + 18 if left_lanes else 16)
    box_right = box_x + box_w
    centre = box_x + box_w / 2
    loops = [route for route in routes if route.kind == "loop"]
    # Self-loops and their labels get a column of their own between the boxes and the lanes.
    loop_labels = max((_text_width(r.label) for r in loops), default=0)
    right_start = box_right + 20 + (44 + loop_labels if loops else 0)
    straight_labels = max((_text_width(r.label) for r in routes if r.kind == "straight"), default=0)
    legend = _legend(graph)
    legend_w = max((_text_width(line) for line in legend), default=0)
    width = (
        max(
            right_start + right_lanes * _LANE + widest_right + 12,
            box_right + straight_labels + 24,
            _MARGIN + legend_w,
        )
        + _MARGIN
    )
    diagram_bottom = _TOP + (len(graph.nodes) - 1) * _PITCH + _BOX_H
    height = diagram_bottom + 40 + len(legend) * _LEGEND_LINE + _MARGIN

    def box_top(name: str) -> float:
        return _TOP + index[name] * _PITCH

    # Ports: every stub on a box side gets its own height, outer lanes lower on the source side.
    sides: dict[tuple[str, str], list[tuple[float, _Route, str]]] = {}
    for route in right + left:
        for source in route.sources:
            sides.setdefault((source, route.kind), []).append((route.lane, route, source))
        sides.setdefault((route.target, route.kind), []).append((route.lane + 0.5, route, "→" + route.target))
    for (name, _side), ends in sides.items():
        ends.sort(key=lambda item: item[0])
        for number, (_order, route, key) in enumerate(ends, start=1):
            route.ports[key] = box_top(name) + number * _BOX_H / (len(ends) + 1)

    out: list[str] = []
    taken: list[tuple[float, float, float]] = []  # placed labels: left x, baseline y, width

    def free(x: float, y: float, w: float) -> bool:
        return all(x + w + 4 < ox or x > ox + ow + 4 or abs(y - oy) >= 15 for ox, oy, ow in taken)

    def put_label(route: _Route, x: float, y: float, low: float, high: float, anchor: str) -> None:
        w = _text_width(route.label)
        left_x = x - w if anchor == "end" else x
        candidates = [y] + [y + step * sign for step in range(8, 600, 8) for sign in (1, -1)]
        chosen = next((c for c in candidates if low <= c <= high and free(left_x, c, w)), y)
        taken.append((left_x, chosen, w))
        out.append(
            f'<text x="{x:.1f}" y="{chosen + 4:.1f}" text-anchor="{anchor}" class="label{_edge_class(route.edge)}">'
            f"{escape(route.label)}</text>"
        )

    out.append(f'<text x="{width / 2:.1f}" y="28" text-anchor="middle" class="title">{escape(graph.title)}</text>')
    for node in graph.nodes:
        top = box_top(node.name)
        classes = "state" + (" final" if node.final else "") + (" initial" if node.initial else "")
        out.append(f'<g class="{classes}" id={quoteattr("state-" + node.name)}><title>{escape(node.name)}</title>')
        out.append(f'<rect x="{box_x:.1f}" y="{top:.1f}" width="{box_w:.1f}" height="{_BOX_H}" rx="8"/>')
        if node.final:
            out.append(
                f'<rect x="{box_x + 4:.1f}" y="{top + 4:.1f}" width="{box_w - 8:.1f}" height="{_BOX_H - 8}" rx="6"/>'
            )
        out.append(
            f'<text x="{centre:.1f}" y="{top + _BOX_H / 2 + 5:.1f}" text-anchor="middle">{escape(node.label)}</text>'
        )
        out.append("</g>")
        if node.initial:
            out.append(f'<circle cx="{box_x - 12:.1f}" cy="{top + _BOX_H / 2:.1f}" r="6" class="start"/>')

    loops_drawn: dict[str, int] = {}
    for route in sorted(routes, key=lambda r: ("straight", "loop", "right", "left").index(r.kind)):
        edge = route.edge
        tip = f"{edge.name}: {', '.join(route.sources)} → {route.target}"
        if edge.notes():
            tip += f" ({edge.notes()})"
        head = f'<g class="edge{_edge_class(edge)}"><title>{escape(tip)}</title>'
        if route.kind == "straight":
            y1, y2 = box_top(route.sources[0]) + _BOX_H, box_top(route.target)
            out.append(f'{head}<path d="M{centre:.1f},{y1:.1f} V{y2 - 2:.1f}"/></g>')
            put_label(route, centre + 8, (y1 + y2) / 2, y1 + 8, y2 - 8, "start")
        elif route.kind == "loop":
            number = loops_drawn.get(route.target, 0)
            loops_drawn[route.target] = number + 1
            top = box_top(route.target)
            reach = box_right + 24 + number * 8
            y1, y2 = top + 8, top + _BOX_H - 8
            out.append(
                f'{head}<path d="M{box_right:.1f},{y1:.1f} C{reach:.1f},{y1 - 12:.1f} '
                f'{reach:.1f},{y2 + 12:.1f} {box_right + 2:.1f},{y2:.1f}"/></g>'
            )
            middle = top + _BOX_H / 2
            put_label(route, box_right + 36, middle, middle - 24, middle + 32, "start")
        else:
            on_right = route.kind == "right"
            side_x = box_right if on_right else box_x
            lane_x = right_start + route.lane * _LANE if on_right else box_x - 18 - route.lane * _LANE
            end_x = side_x + 2 if on_right else side_x - 2
            target_y = route.ports["→" + route.target]
            paths = "".join(
                f'<path d="M{side_x:.1f},{route.ports[source]:.1f} H{lane_x:.1f} V{target_y:.1f} H{end_x:.1f}"/>'
                for source in route.sources
            )
            out.append(f"{head}{paths}</g>")
            ys = [route.ports[source] for source in route.sources] + [target_y]
            low, high = min(ys), max(ys)
            put_label(
                route,
                lane_x + 5 if on_right else lane_x - 5,
                (low + high) / 2,
                low + 10,
                high - 10,
                "start" if on_right else "end",
            )

    y = diagram_bottom + 40
    for number, line in enumerate(legend):
        css = "legend-head" if number == 0 else "legend"
        out.append(f'<text x="{_MARGIN}" y="{y + number * _LEGEND_LINE:.1f}" class="{css}">{escape(line)}</text>')

    style = (
        "text{font-family:'Noto Sans','Noto Sans Arabic','DejaVu Sans',sans-serif;font-size:13px;fill:#1b1b1b}"
        ".title{font-size:16px;font-weight:bold}"
        ".state rect{fill:#f4f7fb;stroke:#2f4b6e;stroke-width:1.5}"
        ".state.initial rect{stroke-width:3}"
        ".state.final rect{fill:#eef3ec;stroke:#2e5d2e}"
        ".start{fill:#1b1b1b}"
        ".edge path{fill:none;stroke:#44546a;stroke-width:1.3;marker-end:url(#arrow)}"
        ".edge.system path{stroke-dasharray:5 3}"
        ".edge.pauses path{stroke:#b35900}"
        ".label{font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}"
        ".label.pauses{fill:#8a4500}"
        ".legend{font-size:12px}.legend-head{font-size:12px;font-style:italic}"
    )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label={quoteattr(graph.title)}>'
        f"<style>{style}</style>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker></defs>'
        '<rect width="100%" height="100%" fill="#fff"/>'
    )
    return head + "".join(out) + "</svg>\n"


def _legend(graph: Graph) -> list[str]:
    lines = [_("Dashed: run by the system. Orange: pauses the clock. Double border: final state.")]
    seen: set[str] = set()
    for edge in graph.edges:
        if edge.name in seen:
            continue
        seen.add(edge.name)
        notes = edge.notes()
        lines.append(f"{edge.label}: {notes}" if notes else edge.label)
    return lines


def _edge_class(edge: Edge) -> str:
    return (" system" if edge.system else "") + (" pauses" if edge.pauses_clock else "")


def render(flow_cls: Any, fmt: str) -> str:
    """The diagram of ``flow_cls`` in ``fmt`` (dot, mermaid or svg)."""
    graph = flow_graph(flow_cls)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "svg":
        return to_svg(graph)
    raise ValueError(
        _("Unknown format “%(format)s”. Choose one of: %(choices)s.") % {"format": fmt, "choices": ", ".join(FORMATS)}
    )
