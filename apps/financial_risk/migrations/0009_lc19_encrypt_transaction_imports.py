"""TransactionImport.data (an uploaded CSV of transactions, staged for its job: account ids,
devices, IP addresses) encrypted at rest under each tenant's data key (apps.privacy); files
staged in clear before are encrypted here, in batches (finished imports hold nothing)."""

import apps.privacy.fields
from django.db import migrations

from apps.privacy.migration_ops import encrypt_existing_rows


def encrypt_rows(apps, schema_editor):
    encrypt_existing_rows(apps.get_model("financial_risk", "TransactionImport"), "data")


class Migration(migrations.Migration):
    dependencies = [
        ("financial_risk", "0008_merge_20261206_1043"),
        ("privacy", "0001_lifecycle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="transactionimport",
            name="data",
            field=apps.privacy.fields.EncryptedBinaryField(default=bytes, editable=False),
        ),
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop),
    ]
