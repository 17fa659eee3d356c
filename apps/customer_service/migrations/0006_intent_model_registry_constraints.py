"""Intent models on the shared registry: the ``active`` flag goes (the state holds it), and
the registry's constraints come (one champion and one challenger per tenant)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customer_service", "0005_intent_model_registry_states_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="intentmodel", name="active"),
        migrations.AddConstraint(
            model_name="intentmodel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "champion")),
                fields=("tenant",),
                name="cs_intent_model_one_champion",
            ),
        ),
        migrations.AddConstraint(
            model_name="intentmodel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "challenger")),
                fields=("tenant",),
                name="cs_intent_model_one_challenger",
            ),
        ),
    ]
