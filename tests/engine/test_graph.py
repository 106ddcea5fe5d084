"""State diagrams drawn from the flows' own transition definitions."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from engine import graph, registry
from workflows.sample.flows import TicketFlow

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _expected_edges(flow_cls):
    return [
        (source, target, str(spec.label))
        for spec in flow_cls.specs().values()
        for source in spec.sources
        for target in spec.targets
    ]


def test_a_transition_that_chooses_its_target_draws_every_target():
    # given the partnership flow, whose chair may decide either way and whose reopen has two ends
    from workflows.partnership.flows import RequestFlow

    # when it is drawn
    edges = {(source, target, name) for source, target, name in _dot_edges(graph.render(RequestFlow, "dot"))}

    # then the casting vote to reject and the reopen to the documented outcome are both there
    assert ("in_committee", "rejected", "Cast the deciding vote") in edges
    assert ("in_committee", "approved", "Cast the deciding vote") in edges
    assert ("closed", "outcome_documented", "Reopen") in edges


def _dot_edges(text):
    pattern = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="([^"\\]*)')
    return [match.groups() for line in text.splitlines() if (match := pattern.match(line))]


@pytest.mark.parametrize("case_type", graph.flow_choices())
def test_dot_has_every_transition_as_a_labelled_edge(case_type):
    flow_cls = registry.flow_for(case_type)
    # when
    text = graph.render(flow_cls, "dot")
    # then one edge per (source, transition), labelled with the transition's label
    edges = [edge for edge in _dot_edges(text) if edge[0] != "__start__"]
    assert sorted(edges) == sorted(_expected_edges(flow_cls))
    # and final states have a double border, the initial state an entry arrow
    for state in flow_cls.states():
        line = next(line for line in text.splitlines() if line.strip().startswith(f'"{state}" ['))
        assert ("peripheries=2" in line) == (state in flow_cls.final_states)
    assert f'"__start__" -> "{flow_cls.state._default}";' in text


def test_dot_marks_system_and_clock_pausing_transitions():
    text = graph.render(TicketFlow, "dot")
    expire = next(line for line in text.splitlines() if 'tooltip="expire"' in line)
    ask = next(line for line in text.splitlines() if 'tooltip="ask"' in line)
    assert "style=dashed" in expire and "system" in expire
    assert "color=darkorange" in ask and "pauses the clock" in ask
    assert "(staff, the ticket's owner)" in text  # who may open a ticket


def test_dot_escapes_quotes_in_labels():
    g = graph.Graph(title='A "quoted" flow', nodes=[graph.Node("a", 'say "hi"', initial=True)], edges=[])
    assert 'label="say \\"hi\\""' in graph.to_dot(g)


@pytest.mark.parametrize("case_type", graph.flow_choices())
def test_mermaid_has_every_transition_and_marks_final_states(case_type):
    flow_cls = registry.flow_for(case_type)
    text = graph.render(flow_cls, "mermaid")
    assert text.startswith("stateDiagram-v2\n")
    pattern = re.compile(r"^\s*(\w+) --> (\w+) : ([^(]+?)(?: \(|$)")
    edges = [match.groups() for line in text.splitlines() if (match := pattern.match(line))]
    assert sorted(edges) == sorted(_expected_edges(flow_cls))
    for state in flow_cls.final_states:
        assert f"    {state} --> [*]" in text
    assert f"    [*] --> {flow_cls.state._default}" in text


@pytest.mark.parametrize("case_type", graph.flow_choices())
def test_own_svg_is_valid_and_has_every_transition_labelled(case_type):
    flow_cls = registry.flow_for(case_type)
    # when drawn without Graphviz
    text = graph.layered_svg(graph.flow_graph(flow_cls))
    root = ET.fromstring(text)
    # then every transition is an edge group whose tooltip names it, its sources and its target
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if "edge" in g.get("class", "")]
    for spec in flow_cls.specs().values():
        assert any(
            title.startswith(f"{spec.name}: ") and title.split(" → ")[1].startswith(spec.target) for title in titles
        )
        for source in spec.sources:
            assert any(title.startswith(f"{spec.name}: ") and source in title for title in titles)
    # and its label is written on the drawing
    labels = {t.text for t in root.iter(f"{SVG}text") if "label" in (t.get("class") or "").split()}
    assert {str(spec.label) for spec in flow_cls.specs().values()} <= labels
    # and states are boxes in lifecycle order, final ones marked
    states = [g for g in root.iter(f"{SVG}g") if "state" in g.get("class", "").split()]
    assert [g.get("id") for g in states] == [f"state-{s}" for s in flow_cls.states()]
    tops = [float(g.find(f"{SVG}rect").get("y")) for g in states]
    assert tops == sorted(tops)
    finals = {g.get("id")[6:] for g in states if "final" in g.get("class").split()}
    assert finals == set(flow_cls.final_states)


def test_own_svg_draws_a_multi_source_transition_once_with_a_stub_per_source():
    root = ET.fromstring(graph.layered_svg(graph.flow_graph(TicketFlow)))
    resolve = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title").text.startswith("resolve:")]
    assert len(resolve) == 1 and len(resolve[0].findall(f"{SVG}path")) == 2


def test_svg_uses_graphviz_when_installed(monkeypatch):
    calls = []

    def fake_run(args, **kwargs):
        calls.append((args, kwargs["input"]))
        return subprocess.CompletedProcess(args, 0, stdout=b"<svg>from dot</svg>", stderr=b"")

    monkeypatch.setattr(graph.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(graph.subprocess, "run", fake_run)
    assert graph.render(TicketFlow, "svg") == "<svg>from dot</svg>"
    assert calls[0][0] == ["/usr/bin/dot", "-Tsvg"] and b'"open" -> "waiting"' in calls[0][1]


def test_svg_falls_back_to_our_own_drawing_without_graphviz_or_when_it_fails(monkeypatch):
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    assert 'id="state-waiting"' in graph.render(TicketFlow, "svg")

    def broken(*args, **kwargs):
        raise subprocess.CalledProcessError(1, args[0])

    monkeypatch.setattr(graph.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(graph.subprocess, "run", broken)
    assert 'id="state-waiting"' in graph.render(TicketFlow, "svg")


def test_labels_follow_the_requested_language(capsys):
    call_command("workflow_graph", "sample.ticket", "--format", "mermaid", "--language", "en")
    assert 'state "Waiting" as waiting' in capsys.readouterr().out


def test_command_writes_the_chosen_format_to_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    target = tmp_path / "ticket.svg"
    call_command("workflow_graph", "sample.ticket", "--format", "svg", "--output", str(target))
    ET.fromstring(target.read_text(encoding="utf-8"))  # well-formed
    assert "Resolved" in target.read_text(encoding="utf-8")


def test_command_prints_dot_by_default(capsys):
    call_command("workflow_graph", "sample.ticket")
    assert capsys.readouterr().out.startswith('digraph "Ticket (sample.ticket)" {')


def test_unknown_flow_is_refused_with_the_choices():
    with pytest.raises(CommandError) as caught:
        call_command("workflow_graph", "sample.tickets")
    assert caught.value.returncode == 2
    message = str(caught.value)
    assert "sample.tickets" in message
    assert all(choice in message.replace("sample.tickets", "") for choice in graph.flow_choices())


def test_unwritable_output_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("workflow_graph", "sample.ticket", "--output", str(tmp_path / "missing" / "x.dot"))
    assert "missing" in str(caught.value)
