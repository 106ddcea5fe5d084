from __future__ import annotations

from typing import Any

from django.db import migrations, models

# Must be the exact expression textsearch.index._TsMatch builds, or PostgreSQL will not use the index.
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS textsearch_entry_fts ON textsearch_searchentry "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)


def create_fts_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_fts_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS textsearch_entry_fts")


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(max_length=40, verbose_name="source")),
                ("object_id", models.BigIntegerField(verbose_name="object id")),
                ("case_type", models.CharField(max_length=100, verbose_name="case type")),
                ("case_id", models.BigIntegerField(verbose_name="case id")),
                ("text", models.TextField(blank=True, verbose_name="normalized text")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={"verbose_name": "search entry", "verbose_name_plural": "search entries"},
        ),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(fields=("source", "object_id"), name="textsearch_one_entry"),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["case_type", "case_id"], name="textsearch_case"),
        ),
        migrations.RunPython(create_fts_index, drop_fts_index),
    ]
