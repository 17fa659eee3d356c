"""The audit log's own retention: ``AuditPrune`` (signed records of deleted anchored periods),
append-only like the other audit tables, and the one DELETE the trigger lets through: events
deleted by ``audit_prune_chain`` in a transaction that set ``audit.retention_prune``.

Someone with database access could set it too, as they could disable the trigger: the guard
against them is the signed prune record, which they cannot make (``audit_verify``)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent'
       AND current_setting('audit.retention_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows can only be inserted.';
END;
$$ LANGUAGE plpgsql;
"""

ORIGINAL = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows can only be inserted.';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS audit_auditprune_append_only ON audit_auditprune;
CREATE TRIGGER audit_auditprune_append_only
    BEFORE UPDATE OR DELETE ON audit_auditprune
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ORIGINAL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0003_checkpoint_ed25519_key_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditPrune",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(max_length=64)),
                ("seq", models.PositiveBigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("deleted", models.PositiveBigIntegerField(default=0)),
                ("before", models.DateTimeField(help_text="the retention cutoff the deleted events preceded")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("key_id", models.CharField(blank=True, default="", max_length=64)),
                ("signature", models.CharField(max_length=200)),
                (
                    "tenant",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.tenant",
                    ),
                ),
            ],
            options={
                "ordering": ["chain", "-seq"],
                "constraints": [
                    models.UniqueConstraint(fields=("chain", "seq"), name="audit_prune_unique_seq")
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
