"""Decision.inputs (an applicant's values as scored) encrypted at rest under each tenant's data
key (apps.privacy); rows stored in clear before are encrypted here, in batches. The column
stays jsonb: the ciphertext is stored as a JSON string."""

import apps.privacy.fields
from django.db import migrations

from apps.privacy.migration_ops import encrypt_existing_rows


def encrypt_rows(apps, schema_editor):
    encrypt_existing_rows(apps.get_model("financial_risk", "Decision"), "inputs")


class Migration(migrations.Migration):
    dependencies = [
        ("financial_risk", "0005_risk_governance_settings"),
        ("privacy", "0001_lifecycle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="inputs",
            field=apps.privacy.fields.EncryptedJSONField(
                blank=True, default=dict, help_text="the values as scored"
            ),
        ),
        migrations.RunPython(encrypt_rows, migrations.RunPython.noop),
    ]
