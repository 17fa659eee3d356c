"""Checkpoints signed with Ed25519 under a key id (the HMAC ones keep key id "")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditcheckpoint",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditcheckpoint",
            name="signature",
            field=models.CharField(max_length=200),
        ),
    ]
