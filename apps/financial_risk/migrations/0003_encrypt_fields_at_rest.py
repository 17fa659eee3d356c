"""Dataset.data (the uploaded rows) encrypted at rest under each tenant's data key
(apps.privacy); rows stored in clear before are encrypted here, in batches."""

from django.db import migrations

import apps.privacy.fields
from apps.privacy.migration_ops import encrypt_existing_rows


def encrypt_rows(apps, schema_editor):
    encrypt_existing_rows(apps.get_model("financial_risk", "Dataset"), "data")


class Migration(migrations.Migration):
    dependencies = [("financial_risk", "0002_decision_indexes"), ("privacy", "0001_lifecycle")]

    operations = [
        migrations.AlterField(
            model_name="dataset",
            name="data",
            field=apps.privacy.fields.EncryptedBinaryField(editable=False),
        ),
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop),
    ]
