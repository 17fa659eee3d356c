"""Adapters join the shared model registry: a promoted adapter is stored as the registry's
champion (the API still says ``promoted``), and the registry's constraints replace the
adapter's own (versions unique per name, one champion and one challenger per name)."""

from django.db import migrations, models

# The stored word of each state, before (the adapter's own) and after (the registry's).
RENAMES = {"promoted": "champion"}


def to_registry_states(apps, schema_editor):
    AdapterVersion = apps.get_model("adaptation", "AdapterVersion")
    for old, new in RENAMES.items():
        AdapterVersion.objects.filter(state=old).update(state=new)


def to_adapter_states(apps, schema_editor):
    AdapterVersion = apps.get_model("adaptation", "AdapterVersion")
    for old, new in RENAMES.items():
        AdapterVersion.objects.filter(state=new).update(state=old)


class Migration(migrations.Migration):
    dependencies = [
        ("adaptation", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="adapterversion", name="adapter_version_unique"),
        migrations.RemoveConstraint(model_name="adapterversion", name="adapter_one_promoted"),
        migrations.AlterField(
            model_name="adapterversion",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("challenger", "Challenger"),
                    ("champion", "Champion"),
                    ("retired", "Retired"),
                ],
                default="draft",
                max_length=16,
            ),
        ),
        migrations.RunPython(to_registry_states, to_adapter_states),
        migrations.AddConstraint(
            model_name="adapterversion",
            constraint=models.UniqueConstraint(
                fields=("tenant", "name", "version"), name="adapter_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="adapterversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "champion")),
                fields=("tenant", "name"),
                name="adapter_one_champion",
            ),
        ),
        migrations.AddConstraint(
            model_name="adapterversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "challenger")),
                fields=("tenant", "name"),
                name="adapter_one_challenger",
            ),
        ),
    ]
