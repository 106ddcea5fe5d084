"""The substantiators' group, and the deadline of substantiation (business days)."""

from decimal import Decimal

from django.db import migrations

FLOW = "outcomes.harvestedoutcome"
GROUP = "outcome_substantiators"


def seed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    apps.get_model("engine", "SlaPolicy").objects.update_or_create(
        flow=FLOW,
        state="submitted",
        defaults={
            "allowance_days": 15,
            "owner": "substantiators",
            "on_breach": "escalate",
            "breach_transition": "",
            "warning_ratio": Decimal("0.75"),
            "active": True,
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("engine", "SlaPolicy").objects.filter(flow=FLOW, clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial"), ("engine", "0002_audit_append_only"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(seed, unseed)]
