"""Intent models on the shared registry, the data: the newest active version of a tenant
becomes its champion (the one that answered); every other version was active once and was
displaced by a newer training, so it is retired. Backwards, the champion is the active
version again."""

from django.db import migrations


def active_to_state(apps, schema_editor):
    IntentModel = apps.get_model("customer_service", "IntentModel")
    champions = []
    seen = set()
    for pk, tenant_id in (
        IntentModel.objects.filter(active=True).order_by("tenant_id", "-version").values_list(
            "pk", "tenant_id"
        )
    ):
        if tenant_id not in seen:
            seen.add(tenant_id)
            champions.append(pk)
    IntentModel.objects.update(state="retired")
    IntentModel.objects.filter(pk__in=champions).update(state="champion")


def state_to_active(apps, schema_editor):
    IntentModel = apps.get_model("customer_service", "IntentModel")
    IntentModel.objects.update(active=False)
    IntentModel.objects.filter(state="champion").update(active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("customer_service", "0004_intent_model_registry_states"),
    ]

    operations = [
        migrations.RunPython(active_to_state, state_to_active),
    ]
