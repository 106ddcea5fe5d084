"""Every catalogue of every app is complete: no empty and no fuzzy translation anywhere."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", ".git", "var", "test-artifacts"}
# English is the source language: an English catalogue may leave msgstr empty to mean "as written".
SOURCE_LANGUAGES = {"en"}


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip()) if text.strip() else ""


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (obsolete ``#~`` entries are ignored)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None and (current.msgid or current.msgstr):
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and (current.msgstr or target):
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("msgctxt"):
            if current.msgstr:
                finish()
                current = Entry(line=number)
            target = ("ctxt", 0)
        elif line.startswith("msgid_plural"):
            current.msgid_plural = _unquote(line[len("msgid_plural") :])
            target = ("plural", 0)
        elif line.startswith("msgid"):
            if current.msgstr:
                finish()
                current = Entry(line=number)
            current.msgid = _unquote(line[len("msgid") :])
            target = ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            current.msgstr[index] = _unquote(line[line.index("]") + 1 :])
            target = ("msgstr", index)
        elif line.startswith("msgstr"):
            current.msgstr[0] = _unquote(line[len("msgstr") :])
            target = ("msgstr", 0)
        elif line.startswith('"') and target is not None:
            kind, index = target
            text = _unquote(line)
            if kind == "msgid":
                current.msgid += text
            elif kind == "plural":
                current.msgid_plural = (current.msgid_plural or "") + text
            elif kind == "msgstr":
                current.msgstr[index] = current.msgstr.get(index, "") + text
    finish()
    return entries


def catalogues() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.po"):
        relative = path.relative_to(ROOT)
        if SKIP_DIRS.intersection(relative.parts) or "LC_MESSAGES" not in relative.parts:
            continue
        language = relative.parts[relative.parts.index("LC_MESSAGES") - 1]
        if language not in SOURCE_LANGUAGES:
            found.append(path)
    return sorted(found)


def problems(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for entry in parse_po(path):
        where = f"{path.relative_to(root)}:{entry.line}"
        if "fuzzy" in entry.flags:
            found.append(f"{where} fuzzy: {entry.msgid[:60]!r}")
        if entry.msgid == "":
            continue  # the header
        if not entry.msgstr or any(not text.strip() for text in entry.msgstr.values()):
            found.append(f"{where} untranslated: {entry.msgid[:60]!r}")
    return found


def test_the_portal_has_an_arabic_catalogue():
    assert (ROOT / "portal" / "locale" / "ar" / "LC_MESSAGES" / "django.po").is_file()


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_has_no_untranslated_or_fuzzy_entry(path):
    assert problems(path) == []


def test_the_checker_catches_what_it_should(tmp_path):
    # given: a catalogue with one good, one empty, one fuzzy and one half-translated plural entry
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\n'
        'msgid "Good"\nmsgstr "جيد"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Fuzzy %s"\nmsgstr "غامض %s"\n\n'
        'msgctxt "ctx"\nmsgid "one"\nmsgid_plural "many"\nmsgstr[0] "واحد"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    # when
    found = problems(po, root=tmp_path)
    # then
    assert len(found) == 3
    assert any("untranslated: 'Empty'" in line for line in found)
    assert any("fuzzy: 'Fuzzy %s'" in line for line in found)
    assert any("untranslated: 'one'" in line for line in found)
