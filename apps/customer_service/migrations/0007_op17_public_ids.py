"""The assistant settings get an opaque public id (issue 17): audit events name it."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("customer_service", "0006_intent_model_registry_constraints")]

    operations = [
        *add_public_id("customer_service", "assistantsettings"),
    ]
