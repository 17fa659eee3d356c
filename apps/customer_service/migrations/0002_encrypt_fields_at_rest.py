"""Turn.text encrypted at rest under each tenant's data key (apps.privacy); rows stored in clear
before are encrypted here, in batches."""

import apps.privacy.fields
from django.db import migrations

from apps.privacy.migration_ops import encrypt_existing_rows


def encrypt_rows(apps, schema_editor):
    encrypt_existing_rows(apps.get_model("customer_service", "Turn"), "text")


class Migration(migrations.Migration):
    dependencies = [("customer_service", "0001_initial"), ("privacy", "0001_lifecycle")]

    operations = [
        migrations.AlterField(
            model_name="turn",
            name="text",
            field=apps.privacy.fields.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop),
    ]
