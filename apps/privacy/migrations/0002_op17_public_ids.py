"""Retention policies get an opaque public id (issue 17): audit events name them."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_lifecycle")]

    operations = [
        *add_public_id("privacy", "retentionpolicy"),
    ]
