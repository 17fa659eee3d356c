"""Conversation and turn slots, rating comments and review corrections encrypted at rest under
each tenant's data key (apps.privacy); rows stored in clear before are encrypted here, in
batches."""

import apps.privacy.fields
from django.db import migrations

from apps.privacy.migration_ops import encrypt_existing_rows

FIELDS = [("Conversation", "slots"), ("Turn", "slots"), ("Rating", "comment"), ("ReviewItem", "correction")]


def encrypt_rows(apps, schema_editor):
    for model, field in FIELDS:
        encrypt_existing_rows(apps.get_model("customer_service", model), field)


class Migration(migrations.Migration):
    dependencies = [
        ("customer_service", "0006_intent_model_registry_constraints"),
        ("privacy", "0001_lifecycle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conversation",
            name="slots",
            field=apps.privacy.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="turn",
            name="slots",
            field=apps.privacy.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="rating",
            name="comment",
            field=apps.privacy.fields.EncryptedTextField(blank=True, default="", max_length=500),
        ),
        migrations.AlterField(
            model_name="reviewitem",
            name="correction",
            field=apps.privacy.fields.EncryptedTextField(blank=True, default=""),
        ),
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop),
    ]
