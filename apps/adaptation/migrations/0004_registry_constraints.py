"""Adapters on the shared registry: its constraints (versions unique per name, one champion
and one challenger per name)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("adaptation", "0003_registry_states_data"),
    ]

    operations = [
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
