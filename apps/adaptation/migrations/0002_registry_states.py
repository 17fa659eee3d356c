"""Adapters join the shared model registry: a promoted adapter is stored as the registry's
champion (the API still says ``promoted``), and the registry's constraints replace the
adapter's own (versions unique per name, one champion and one challenger per name).

Three migrations (schema, data, schema), so that PostgreSQL never alters the table in the
transaction that updated its rows ("pending trigger events"); this one drops the adapter's
constraints and takes the registry's states."""

from django.db import migrations, models


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
                    ("champion", "Promoted (serving)"),
                    ("retired", "Retired"),
                ],
                default="draft",
                max_length=16,
            ),
        ),
    ]
