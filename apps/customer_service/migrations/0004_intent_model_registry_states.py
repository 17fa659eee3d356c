"""Intent models join the shared model registry: the ``active`` flag becomes the registry's
state. Three migrations (schema, data, schema), so that PostgreSQL never alters the table in
the transaction that updated its rows ("pending trigger events"); this one adds the state and
``promoted_at``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customer_service", "0003_merge_20261206_0338"),
    ]

    operations = [
        migrations.AddField(
            model_name="intentmodel",
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
        migrations.AddField(
            model_name="intentmodel",
            name="promoted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
