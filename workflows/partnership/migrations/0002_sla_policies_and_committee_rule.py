"""Deadlines of the dialogue request (business days) and the committee's default rule."""

from decimal import Decimal

from django.db import migrations

FLOW = "partnership.dialoguerequest"

# state, allowance (business days), owning party, on breach, breach transition
POLICIES = [
    ("submitted", 5, "secretariat", "escalate", ""),
    ("info_requested", 10, "requester", "transition", "lapse"),
    ("in_committee", 10, "committee", "escalate", ""),
    ("approved", 10, "secretariat", "escalate", ""),
    ("meeting_held", 5, "secretariat", "escalate", ""),
    # Silence is consent: the parties' confirmation period ends with the minutes confirmed.
    ("outcome_documented", 5, "parties", "transition", "confirm_minutes_by_silence"),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("engine", "SlaPolicy")
    CommitteeRule = apps.get_model("partnership", "CommitteeRule")
    for state, days, owner, on_breach, breach_transition in POLICIES:
        SlaPolicy.objects.update_or_create(
            flow=FLOW,
            state=state,
            defaults={
                "allowance_days": days,
                "owner": owner,
                "on_breach": on_breach,
                "breach_transition": breach_transition,
                "warning_ratio": Decimal("0.75"),
                "active": True,
            },
        )
    if not CommitteeRule.objects.exists():
        CommitteeRule.objects.create(
            name="default",
            active=True,
            quorum_ratio=Decimal("0.50"),
            require_each_side=True,
            appeal_window_days=10,
            max_appeals=1,
        )


def unseed(apps, schema_editor):
    apps.get_model("engine", "SlaPolicy").objects.filter(flow=FLOW, clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("partnership", "0001_initial"), ("engine", "0002_audit_append_only")]

    operations = [migrations.RunPython(seed, unseed)]
