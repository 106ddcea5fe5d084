"""API tokens moved to django-rest-knox (hashed, expiring): the old DRF tokens, kept in clear text and
no longer accepted, are deleted so no usable secret stays in the database. Clients sign in again."""

from django.db import migrations


def drop_plaintext_tokens(apps, schema_editor):
    apps.get_model("authtoken", "Token").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]
