"""Deadlines of the membership application (business days): the secretariat vets, the applicant answers."""

from decimal import Decimal

from django.db import migrations

FLOW = "accession.application"

# state, allowance (business days), owning party, on breach, breach transition
POLICIES = [
    ("submitted", 10, "secretariat", "escalate", ""),
    ("info_requested", 20, "applicant", "escalate", ""),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("engine", "SlaPolicy")
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


def unseed(apps, schema_editor):
    apps.get_model("engine", "SlaPolicy").objects.filter(flow=FLOW, clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accession", "0001_initial"), ("engine", "0002_audit_append_only")]

    operations = [migrations.RunPython(seed, unseed)]
