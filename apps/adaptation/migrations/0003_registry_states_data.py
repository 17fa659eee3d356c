"""Adapters on the shared registry, the data: ``promoted`` is stored as ``champion``;
backwards, ``champion`` is ``promoted`` again."""

from django.db import migrations

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
        ("adaptation", "0002_registry_states"),
    ]

    operations = [
        migrations.RunPython(to_registry_states, to_adapter_states),
    ]
