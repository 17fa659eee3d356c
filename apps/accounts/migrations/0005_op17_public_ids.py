"""Memberships, usage counters and quotas get an opaque public id (issue 17)."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_model_validator_role")]

    operations = [
        *add_public_id("accounts", "membership"),
        *add_public_id("accounts", "usagecounter"),
        *add_public_id("accounts", "quota"),
    ]
