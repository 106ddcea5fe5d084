from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    """One entry per source row and case: a harvested outcome linked to two requests is found through both."""

    dependencies = [("textsearch", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(model_name="searchentry", name="textsearch_one_entry"),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(
                fields=("source", "object_id", "case_type", "case_id"), name="textsearch_one_entry_per_case"
            ),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["source", "object_id"], name="textsearch_source"),
        ),
    ]
