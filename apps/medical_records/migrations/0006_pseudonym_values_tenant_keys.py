"""Pseudonym values and missed-PHI corrections move from the platform-wide
MEDICAL_RECORDS_ENCRYPTION_KEY to each tenant's data key (``PseudonymValueField``), so key
rotation and offboarding's crypto-shredding reach them. Forward: every Fernet token is decrypted
with the platform key and encrypted under its tenant's data key, in batches. Backward: the
reverse. Between the two (a migration under way, a backup restored from before it), the field
reads both forms."""

from django.db import connection, migrations

import apps.medical_records.fields
from apps.medical_records import platform_key
from apps.privacy import keys
from apps.privacy.migration_ops import encrypt_existing_rows

FIELDS = (("PseudonymEntry", "encrypted_value"), ("Correction", "encrypted_value"))


def to_tenant_keys(apps, schema_editor):
    for model, field in FIELDS:
        encrypt_existing_rows(apps.get_model("medical_records", model), field)


def to_platform_key(apps, schema_editor):
    quote = connection.ops.quote_name
    for name, field in FIELDS:
        model = apps.get_model("medical_records", name)
        table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {column} FROM {table}")
            rows = cursor.fetchall()
        for pk, value in rows:
            if value and keys.is_encrypted(value):
                token = platform_key.encrypt(keys.decrypt(value))
                model.objects.filter(pk=pk).update(**{field: token})


class Migration(migrations.Migration):
    dependencies = [("medical_records", "0005_op17_public_ids"), ("privacy", "0001_lifecycle")]

    operations = [
        migrations.AlterField(
            model_name="pseudonymentry",
            name="encrypted_value",
            field=apps.medical_records.fields.PseudonymValueField(),
        ),
        migrations.AlterField(
            model_name="correction",
            name="encrypted_value",
            field=apps.medical_records.fields.PseudonymValueField(blank=True, default=""),
        ),
        migrations.RunPython(to_tenant_keys, to_platform_key),
    ]
