"""Check rule sets and re-identification grants get an opaque public id (issue 17): audit
events name them."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("medical_records", "0004_merge_20261206_0338")]

    operations = [
        *add_public_id("medical_records", "checkruleset"),
        *add_public_id("medical_records", "reidentificationgrant"),
    ]
