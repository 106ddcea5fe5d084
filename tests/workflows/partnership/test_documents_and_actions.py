"""Documents (checked by type, size and content) and follow-up action items."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override

from engine import uploads
from engine.errors import InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent
from workflows.partnership import services
from workflows.partnership.models import ActionItem, ActionUpdate, Attachment

from .conftest import confirm_minutes, draft, walk

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def office(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("concept note.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("agenda.docx", office("word/document.xml"), uploads.CONTENT_TYPES["docx"]),
        ("budget.xlsx", office("xl/workbook.xml"), uploads.CONTENT_TYPES["xlsx"]),
        ("photo.PNG", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("notes.txt", "ملاحظات الاجتماع\n".encode(), "text/plain"),
    ],
)
def test_accepted_documents_are_stored_and_audited(partnership_world, name, content, content_type):
    w = partnership_world
    request = draft(w)
    attachment = services.attachment_add(
        request=request, actor=w.cso_coordinator, file=SimpleUploadedFile(name, content), description="For the file"
    )
    assert (attachment.content_type, attachment.size) == (content_type, len(content))
    assert attachment.file.read() == content
    event = AuditEvent.objects.get(case_id=request.pk, action="document_added")
    assert event.data["sha256"] == attachment.sha256 and event.data["name"] == attachment.name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ\x90\x00"),
        ("fake.pdf", b"<html>not a pdf</html>"),
        ("fake.docx", office("xl/workbook.xml")),
        ("fake.xlsx", b"PK\x03\x04 broken zip"),
        ("fake.png", b"GIF89a"),
        ("binary.txt", b"abc\x00def"),
        ("empty.pdf", b""),
        ("no-extension", b"%PDF-1.4"),
    ],
)
def test_unacceptable_documents_are_refused_with_a_field_error(partnership_world, name, content):
    w = partnership_world
    request = draft(w)
    with pytest.raises(InvalidInput) as caught:
        services.attachment_add(request=request, actor=w.cso_coordinator, file=SimpleUploadedFile(name, content))
    assert list(caught.value.errors) == ["file"]
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="document_added").exists()


def test_documents_over_10_mb_are_refused(partnership_world, monkeypatch):
    w = partnership_world
    request = draft(w)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1024)
    big = ContentFile(b"%PDF-1.4" + b"0" * 2048, name="big.pdf")
    with override("en"), pytest.raises(InvalidInput) as caught:
        services.attachment_add(request=request, actor=w.cso_coordinator, file=big)
    assert caught.value.errors["file"] == ["The file is larger than 10 MB."]


def test_only_parties_and_the_secretariat_add_documents(partnership_world):
    w = partnership_world
    request = draft(w)
    for outsider in (w.ministry_coordinator, w.auditor, w.other_cso_coordinator):
        with pytest.raises(NotPermitted):
            services.attachment_add(request=request, actor=outsider, file=SimpleUploadedFile("a.txt", b"hello"))
    walk(w, request, "in_committee")
    services.attachment_add(request=request, actor=w.ministry_coordinator, file=SimpleUploadedFile("a.txt", b"hi"))
    services.attachment_add(request=request, actor=w.secretariat, file=SimpleUploadedFile("b.txt", b"hi"))
    assert Attachment.objects.filter(request=request).count() == 2


# --- action items -------------------------------------------------------------------------------


@pytest.fixture
def documented(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")
    return confirm_minutes(w, request)


def test_actions_are_created_by_the_secretariat_with_valid_fields(partnership_world, documented):
    w = partnership_world
    with pytest.raises(NotPermitted):
        services.action_item_create(
            request=documented,
            actor=w.cso_coordinator,
            description="x",
            owner_organization=w.cso,
            due_date="2027-01-01",
        )
    with pytest.raises(InvalidInput) as caught:
        services.action_item_create(
            request=documented, actor=w.secretariat, description=" ", owner_organization=99999, due_date="soon"
        )
    assert set(caught.value.errors) == {"description", "owner_organization", "due_date"}
    assert not ActionItem.objects.exists()


def test_actions_wait_for_the_outcome(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    with pytest.raises(TransitionNotAllowedError):
        services.action_item_create(
            request=request, actor=w.secretariat, description="x", owner_organization=w.cso, due_date="2027-01-01"
        )


def test_dropping_an_action_needs_a_justification(partnership_world, documented):
    w = partnership_world
    item = services.action_item_create(
        request=documented, actor=w.secretariat, description="Train judges", owner_organization=w.cso,
        due_date="2027-01-01",
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        services.action_item_update(item=item, actor=w.cso_coordinator, status="dropped")
    assert list(caught.value.errors) == ["justification"]
    item.refresh_from_db()
    assert item.status == "open"
    services.action_item_update(item=item, actor=w.cso_coordinator, status="dropped", justification="Funding ended.")
    item.refresh_from_db()
    assert (item.status, item.justification, item.settled) == ("dropped", "Funding ended.", True)
    event = AuditEvent.objects.filter(case_id=documented.pk, action="action_status_changed").get()
    assert event.data == {"action": item.pk, "from": "open", "to": "dropped", "justification": "Funding ended."}


def test_owners_report_progress_but_only_the_secretariat_reassigns(partnership_world, documented):
    w = partnership_world
    item = services.action_item_create(
        request=documented, actor=w.secretariat, description="Guidelines", owner_organization=w.ministry,
        due_date="2027-01-01",
    )  # fmt: skip
    with pytest.raises(NotPermitted):
        services.action_item_update(item=item, actor=w.cso_coordinator, status="done")
    with pytest.raises(NotPermitted):
        services.action_item_update(item=item, actor=w.ministry_coordinator, due_date="2028-01-01")
    update = services.action_update_add(
        item=item,
        actor=w.ministry_coordinator,
        text="Draft circulated.",
        evidence_url="https://example.gov.lb/draft",
        evidence_file=SimpleUploadedFile("draft.pdf", b"%PDF-1.5 draft"),
        status="in_progress",
    )
    assert (update.status_from, update.status_to) == ("open", "in_progress")
    assert update.evidence_file.read().startswith(b"%PDF")
    with pytest.raises(InvalidInput) as caught:
        services.action_update_add(item=item, actor=w.ministry_coordinator, text="", evidence_url="javascript:x")
    assert set(caught.value.errors) == {"text", "evidence_url"}
    services.action_item_update(
        item=item, actor=w.secretariat, due_date="2027-06-30", owner_organization=w.cso.pk, description="Guidelines v2"
    )
    item.refresh_from_db()
    assert (str(item.due_date), item.owner_organization, item.description) == ("2027-06-30", w.cso, "Guidelines v2")
    changed = AuditEvent.objects.get(case_id=documented.pk, action="action_item_updated")
    assert set(changed.data["changes"]) == {"due_date", "owner_organization", "description"}
    assert ActionUpdate.objects.count() == 1


def test_closed_requests_take_no_more_action_changes(partnership_world, documented):
    w = partnership_world
    item = services.action_item_create(
        request=documented, actor=w.secretariat, description="G", owner_organization=w.cso, due_date="2027-01-01"
    )
    walk(w, documented, "closed")
    with pytest.raises(TransitionNotAllowedError):
        services.action_item_update(item=item, actor=w.secretariat, status="open")
