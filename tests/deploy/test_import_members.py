"""manage.py import_members FILE: organizations and coordinators from CSV or XLSX, all or nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from partners.models import Membership, Organization

from .conftest import GOOD_ROWS

pytestmark = pytest.mark.django_db


def _import(path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_members", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _snapshot() -> tuple[int, int, int]:
    return Organization.objects.count(), get_user_model().objects.count(), Membership.objects.count()


@pytest.mark.parametrize("name", ["members.csv", "members.xlsx"])
def test_a_good_file_imports_organizations_and_coordinators(member_file, name):
    # given a file with a ministry, a CSO and a second coordinator of that CSO
    path = member_file(GOOD_ROWS, name)
    # when
    out, err = _import(path)
    # then
    assert err == ""
    assert "3 rows imported" in out
    ministry = Organization.objects.get(name="Ministry of Social Affairs")
    assert (ministry.side, ministry.kind, ministry.name_ar, ministry.acronym) == (
        "public",
        "ministry",
        "وزارة الشؤون الاجتماعية",
        "MoSA",
    )
    assert sorted(ministry.themes.values_list("code", flat=True)) == ["disability-rights", "juvenile-justice"]
    cso = Organization.objects.get(name="Cedar Association for Juvenile Justice")
    coordinators = set(
        cso.memberships.filter(role=Membership.Role.COORDINATOR, active=True).values_list("user__username", flat=True)
    )
    assert coordinators == {"cajj-coordinator", "cajj-deputy"}
    karim = get_user_model().objects.get(username="cajj-coordinator")
    assert (karim.email, karim.first_name, karim.last_name) == ("karim@cajj.example.org", "Karim", "Saab")
    assert not karim.has_usable_password()
    # and a second import changes nothing
    before = _snapshot()
    out, _err = _import(path)
    assert _snapshot() == before
    assert "Organizations created: 0" in out


def test_a_dry_run_checks_and_writes_nothing(member_file):
    before = _snapshot()
    out, _err = _import(member_file(GOOD_ROWS), "--dry-run")
    assert "Dry run: 3 rows are valid; nothing was written." in out
    assert "Organizations created: 2" in out
    assert _snapshot() == before


def test_bad_rows_are_each_reported_and_nothing_is_written(member_file):
    # given good rows and three wrong ones
    rows = [
        *GOOD_ROWS,
        ["Coastal Network", "", "", "civil", "network", "not-an-email", "", "volunteering", "", "", "", ""],
        ["", "", "", "public", "cso", "", "", "no-such-theme", "x y", "", "", ""],
        ["Women's Collective", "", "", "civil", "cso", "", "", "", "mosa-coordinator", "", "", ""],
    ]
    before = _snapshot()
    # when
    with pytest.raises(CommandError) as refused:
        _import(member_file(rows, "members.xlsx"))
    # then nothing is written, and each problem names its row (as the spreadsheet numbers it) and column
    assert _snapshot() == before
    assert "nothing was imported" in str(refused.value)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_members", str(member_file(rows)), stderr=err)
    report = err.getvalue().splitlines()
    assert "row 5, email: not a valid email address" in report
    assert "row 6, name: required" in report
    assert "row 6, kind: a cso is on the civil side" in report
    assert "row 6, themes: unknown theme no-such-theme" in report
    assert "row 6, coordinator_username: letters, digits and @.+-_ only" in report
    assert "row 7, coordinator_username: already coordinator of another organization on an earlier row" in report
    assert not any(line.startswith(("row 2", "row 3", "row 4")) for line in report)


def test_errors_are_reported_in_arabic_for_an_arabic_administrator(member_file):
    rows = [["Coastal Network", "", "", "civil", "network", "not-an-email", "", "", "", "", "", ""]]
    err = StringIO()
    with translation.override("ar"), pytest.raises(CommandError) as refused:
        call_command("import_members", str(member_file(rows)), stderr=err)
    assert "لم يُستورد أي شيء" in str(refused.value)
    assert "ليس عنوان بريد إلكتروني صالحًا" in err.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,side\nx,public\n", "the header lacks the columns name, kind"),
        ("name,side,kind,colour\nx,public,ministry,red\n", "unknown columns colour"),
    ],
)
def test_a_file_with_a_wrong_header_is_refused(tmp_path, content, message):
    path = tmp_path / "members.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        _import(path)
    assert Organization.objects.filter(name="x").count() == 0


def test_other_file_kinds_and_missing_files_are_refused(tmp_path):
    with pytest.raises(CommandError, match="give a .csv or .xlsx file"):
        _import(tmp_path / "members.ods")
    with pytest.raises(CommandError, match="no such file"):
        _import(tmp_path / "missing.csv")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="not a readable XLSX workbook"):
        _import(broken)
