"""Every refusal that cites a charter article cites one that says so.

A review of each guard's article against the charter's text (the default charter, version 1, in
English): for each reason code, words the cited article must contain. A guard added with a citation
and no entry here fails, and so does a citation moved to an article that does not carry the rule.
Rules the charter does not state (a session's capacity, the platform's calendar, a committee term)
cite no article at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from partners import charter
from partners.models import CharterArticle

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
FLOWS = [ROOT / "workflows/partnership/flows.py", ROOT / "workflows/accession/flows.py"]

#: reason code -> words its article's English text must contain
CARRIES = {
    "counterpart_same_side": "counterpart from the other side",
    "required_fields_missing": "policy question",
    "quorum_not_met": "quorum",
    "votes_not_settled": "decides on it",
    "already_referred": "decides on it",
    "committee_can_decide": "decides on it",
    "not_referred": "decides on it",
    "not_a_tie": "deciding vote on a tie",
    "appeal_used": "appeal a rejection once",
    "appeal_window_closed": "within the appeal window",
    "meeting_in_past": "set in the future",
    "invitees_one_side": "participants from both sides",
    "meeting_not_started": "Every meeting is documented",
    "session_held": "Every meeting is documented",
    "session_minutes_missing": "minutes",
    "minutes_missing": "minutes",
    "harvesting_incomplete": "evidence",
    "restriction_reason_missing": "restricted only for a stated reason",
    "minutes_already_confirmed": "confirm the minutes",
    "already_confirmed": "confirm the minutes",
    "minutes_not_confirmed": "confirm the minutes",
    "correction_pending": "silence within the confirmation period is consent",
    "actions_open": "done or dropped with a justification",
    "owner_not_party": "Agreed actions have owners",
    "due_date_past": "owners and due dates",
    "organization_inactive": "active member",
    "charter_not_accepted": "accepted the version",
    "charter_outdated": "accepts it again",
    "recused": "is recused and does not vote",
    "absent": "committee member",
    "alternate_not_sitting": "committee member",
    "no_alternate": "committee member",
    "already_voted_cannot_stand_aside": "committee member",
    "reject_vote_without_reason": "states its reasons",
    "application_pending": "takes part in the Platform",
    "already_member": "active member",
    "already_coordinator": "designated coordinators",
    "successor_inactive": "designated coordinators",
}


def citations() -> list[tuple[str, str, str]]:
    """(file, reason code, article constant) for every ``Reason(...)`` citing ``charter.X`` in the flows."""
    found = []
    for path in FLOWS:
        source = path.read_text(encoding="utf-8")
        starts = [m.start() for m in re.finditer(r"Reason\(", source)] + [len(source)]
        for start, end in zip(starts, starts[1:], strict=False):
            call = re.split(r"\n\s*return |\n\n", source[start:end])[0]
            code = re.match(r'Reason\(\s*"([a-z_]+)"', call)
            article = re.search(r"article=charter\.([A-Z_]+)", call)
            if code and article:
                found.append((path.name, code.group(1), article.group(1)))
    return found


def test_the_review_finds_the_citations():
    codes = {code for _file, code, _article in citations()}
    assert {"quorum_not_met", "meeting_not_started", "charter_not_accepted", "recused"} <= codes


@pytest.mark.parametrize(("file", "code", "constant"), citations(), ids=lambda value: str(value))
def test_each_cited_article_carries_the_rule(file, code, constant):
    number = getattr(charter, constant)
    text = CharterArticle.objects.get(version__number=1, number=int(number)).text
    assert code in CARRIES, f"{file}: {code} cites article {number}; add the words that article must carry to CARRIES"
    assert CARRIES[code] in text, f"{file}: {code} cites article {number}, whose text does not say {CARRIES[code]!r}"
