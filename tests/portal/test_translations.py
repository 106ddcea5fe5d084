"""Every catalogue of every app is complete: no empty and no fuzzy translation anywhere."""

from __future__ import annotations

import ast
import re
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
    context: str | None = None
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
            current.context = _unquote(line[len("msgctxt") :])
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
            if kind == "ctxt":
                current.context = (current.context or "") + text
            elif kind == "msgid":
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


# --- one glossary: the same English says the same Arabic in every app ------------------------------
#
# Django merges the apps' catalogues and the first app in INSTALLED_APPS wins: an English msgid
# translated two ways shows one of them everywhere. Where the meanings differ, the source gives a
# message context (``pgettext``) and the entries no longer collide.


def conflicts(paths: list[Path], root: Path = ROOT) -> list[str]:
    """Every (context, msgid) that two catalogues translate differently."""
    seen: dict[tuple[str | None, str, str | None], dict[tuple[str, ...], list[str]]] = {}
    for path in paths:
        for entry in parse_po(path):
            if not entry.msgid:
                continue
            key = (entry.context, entry.msgid, entry.msgid_plural)
            translation = tuple(entry.msgstr[index] for index in sorted(entry.msgstr))
            seen.setdefault(key, {}).setdefault(translation, []).append(f"{path.relative_to(root)}:{entry.line}")
    found = []
    for (context, msgid, _plural), translations in sorted(seen.items(), key=lambda item: item[0][1]):
        if len(translations) > 1:
            where = "; ".join(f"{' / '.join(text)} ({', '.join(places)})" for text, places in translations.items())
            found.append(f"{msgid!r}{f' [{context}]' if context else ''}: {where}")
    return found


def test_no_english_message_has_two_arabic_translations():
    assert conflicts(catalogues()) == []


def test_the_conflict_checker_tells_contexts_apart(tmp_path):
    # given: two apps, "Open" as the same word twice, "Done" two ways, "New" apart by a context
    one, two = tmp_path / "one.po", tmp_path / "two.po"
    one.write_text('msgid "Open"\nmsgstr "مفتوح"\n\nmsgid "Done"\nmsgstr "منجز"\n\nmsgid "New"\nmsgstr "جديد"\n')
    two.write_text(
        'msgid "Open"\nmsgstr "مفتوح"\n\nmsgid "Done"\nmsgstr "انتهى"\n\n'
        'msgctxt "ticket state"\nmsgid "New"\nmsgstr "جديدة"\n'
    )
    # when
    found = conflicts([one, two], root=tmp_path)
    # then
    assert len(found) == 1 and found[0].startswith("'Done'"), found


GLOSSARY = ROOT / "docs" / "glossary-ar.md"
ARABIC_LETTER = "\u0621-\u064a"
LATIN_COMMA_IN_ARABIC = re.compile(rf"[{ARABIC_LETTER}][\u064b-\u0652]?, [{ARABIC_LETTER}]")


def glossary() -> list[tuple[str, str, list[str]]]:
    """The glossary's rows: English term, the Arabic it must use, the words it must not use."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] in {"English", ""} or set(cells[0]) <= {"-", ":"}:
            continue
        avoid = [word.strip() for word in cells[2].split("،") if word.strip() and word.strip() != "—"]
        rows.append((cells[0], cells[1], avoid))
    return rows


def glossary_problems(paths: list[Path], rows: list[tuple[str, str, list[str]]], root: Path = ROOT) -> list[str]:
    found = []
    for path in paths:
        for entry in parse_po(path):
            if not entry.msgid:
                continue
            where = f"{path.relative_to(root)}:{entry.line}"
            texts = list(entry.msgstr.values())
            if any(LATIN_COMMA_IN_ARABIC.search(text) for text in texts):
                found.append(f"{where} Latin comma in an Arabic list: {texts[0][:60]!r}")
            for english, arabic, avoid in rows:
                if not re.search(rf"\b{re.escape(english)}\b", entry.msgid, re.IGNORECASE):
                    continue
                for word in avoid:
                    if any(word in text for text in texts):
                        found.append(f"{where} {english!r} is {arabic}, not {word}: {texts[0][:60]!r}")
    return found


def test_the_glossary_is_in_the_repository_and_has_the_key_terms():
    terms = {english.lower(): arabic for english, arabic, _avoid in glossary()}
    assert terms["charter"] == "الميثاق"
    assert terms["history"] == "السجل"
    assert terms["password"] == "كلمة المرور"
    assert terms["side"] == "الطرف"


def test_side_is_one_word_whatever_its_case():
    """ "Side" and "side" are two msgids, so the conflict check cannot see them disagree: this does."""
    words = {
        text
        for path in catalogues()
        for entry in parse_po(path)
        if entry.msgid.lower() == "side" and not entry.context
        for text in entry.msgstr.values()
    }
    assert words == {"الطرف"}


def test_every_catalogue_follows_the_glossary():
    assert glossary_problems(catalogues(), glossary()) == []


def test_the_glossary_checker_catches_a_second_word_and_a_latin_comma(tmp_path):
    # given
    po = tmp_path / "django.po"
    po.write_text(
        'msgid "Accept the charter"\nmsgstr "أقبل الشرعة"\n\n'
        'msgid "Accept the charter, again"\nmsgstr "أقبل الميثاق مجددًا"\n\n'
        'msgid "Members: %(names)s"\nmsgstr "الأعضاء: أحمد, سلمى"\n'
    )
    # when
    found = glossary_problems([po], [("charter", "الميثاق", ["الشرعة"])], root=tmp_path)
    # then
    assert len(found) == 2
    assert any("not الشرعة" in line for line in found)
    assert any("Latin comma" in line for line in found)
