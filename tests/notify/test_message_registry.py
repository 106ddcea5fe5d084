"""Each workflow registers the words of its own notification kinds; one kind cannot get two sets of words."""

from __future__ import annotations

import pytest

from notify import messages
from notify.messages import Message, register_messages


def test_the_workflows_kinds_are_registered_with_their_own_words():
    assert (
        str(messages.message_for("application_submitted").subject) == "%(reference)s: membership application submitted"
    )
    assert messages.message_for("application_submitted") is not messages.message_for("submit")


def test_a_kind_registered_again_with_other_words_is_refused(monkeypatch):
    monkeypatch.setattr(messages, "MESSAGES", dict(messages.MESSAGES))
    words = Message("Label", "%(reference)s: subject", "Body.")
    register_messages({"test_kind": words})
    register_messages({"test_kind": words})  # the same words again: harmless (an app registering twice)
    with pytest.raises(ValueError, match="test_kind"):
        register_messages({"test_kind": Message("Label", "%(reference)s: another subject", "Body.")})
    with pytest.raises(ValueError, match="submit"):
        register_messages({"submit": words})  # a workflow may not take over another's kind
    assert messages.message_for("test_kind") is words
