"""A throw-away kind of versioned model, ``registry.Widget`` (families by tenant and name),
with its table created for the test and dropped after: the registry is tested without any
vertical's models."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from apps.registry.models import VersionedModel, versioned_constraints
from apps.registry.services import version_create


def _widget_class():
    class Meta:
        app_label = "registry"
        constraints = versioned_constraints("registry_widget", ("tenant", "name"))

    return type(
        "Widget",
        (VersionedModel,),
        {"__module__": __name__, "Meta": Meta, "name": models.CharField(max_length=20)},
    )


@pytest.fixture
def widget_model(transactional_db):
    widget = _widget_class()
    with connection.schema_editor() as editor:
        editor.create_model(widget)
    yield widget
    with connection.schema_editor() as editor:
        editor.delete_model(widget)
    del apps.all_models["registry"]["widget"]
    apps.clear_cache()


@pytest.fixture
def make_widget(widget_model):
    def make(tenant, name="scorer", **fields):
        return version_create(widget_model, tenant=tenant, name=name, **fields)

    return make
