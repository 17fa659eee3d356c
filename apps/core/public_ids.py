"""Opaque public identifiers for tables whose primary key is a sequential integer.

A sequential id tells whoever reads it how many rows exist and which ids to try elsewhere
(issue 17, the existence oracle). Tables keyed by UUID already show their key; the others keep
their integer key inside the database (foreign keys, the knowledge graph's bulk COPY, the
admin) and carry a random ``public_id`` that is the only id the API, the pages and the audit
chain show. One way to do it everywhere:

- models: ``class Graph(PublicIdModel)`` (or ``public_id = public_id_field()``);
- viewsets: ``PublicIdLookupMixin`` looks rows up by ``public_id`` under the URL's ``<pk>``;
  an integer (the old id) or any other non-UUID in the URL is a 404 like an unknown id;
- serializers: ``id = PublicIdField()`` and ``graph = PublicRefField()`` for references;
- query strings: ``PublicRefFilter("graph")`` filters by the referenced row's public id;
- audit events and tests: ``public_id_of(obj)``.
"""

from __future__ import annotations

import uuid

import django_filters
from django.db import migrations, models
from django.utils.crypto import salted_hmac
from rest_framework import serializers


def public_id_field() -> models.UUIDField:
    """The column: random, unique, never edited, made in Python (so a bulk COPY can fill it)."""
    return models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="The row's opaque id: the only id the API, pages and audit events show.",
    )


class PublicIdModel(models.Model):
    """Abstract base: an integer-keyed table with an opaque ``public_id``."""

    public_id = public_id_field()

    class Meta:
        abstract = True


def add_public_id(app_label: str, model_name: str) -> list:
    """Migration operations giving an existing table its ``public_id``: a nullable column, one
    random id per existing row, then unique and not null. (A plain ``AddField`` with
    ``default=uuid4`` would give every existing row the same id.)"""

    def fill(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        if schema_editor.connection.vendor == "postgresql":  # one statement, any table size
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(f"UPDATE {table} SET public_id = gen_random_uuid()")
            return
        for pk in model._default_manager.values_list("pk", flat=True).iterator():
            model._default_manager.filter(pk=pk).update(public_id=uuid.uuid4())

    return [
        migrations.AddField(
            model_name=model_name, name="public_id", field=models.UUIDField(null=True)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(model_name=model_name, name="public_id", field=public_id_field()),
    ]


def public_id_of(obj) -> str:
    """The id the outside world knows ``obj`` by: its ``public_id``, else its (UUID) key."""
    return str(getattr(obj, "public_id", None) or obj.pk)


def user_public_id(user_pk) -> str | None:
    """The id a user acts under in audit events and ``whoami`` (``auth.User`` is Django's table
    and keeps its sequential key): a keyed hash of the key, shaped as a UUID. Stable for as long
    as ``SECRET_KEY`` is (rotating it starts new ids for new events; recorded events keep
    theirs), meaningless without it, and the same in every process and layer with no query."""
    if user_pk is None:
        return None
    digest = salted_hmac("apps.core.public_ids.user", str(user_pk), algorithm="sha256").digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class UserRefField(serializers.UUIDField):
    """A user in a body (``requested_by``, ``decided_by``): its public id (read-only). Give the
    source of the user's key, e.g. ``UserRefField(source="approval.requested_by_id")``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return user_public_id(getattr(value, "pk", value))


class PublicIdField(serializers.UUIDField):
    """``id`` in a body: the row's public id (read-only)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "public_id")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class PublicRefField(serializers.UUIDField):
    """A reference to another row, as that row's public id (read-only): ``graph = PublicRefField()``
    shows ``graph.public_id``. Select the relation in the queryset to keep lists to one query."""

    def bind(self, field_name, parent):
        if self.source is None:
            self.source = f"{field_name}.public_id"
        super().bind(field_name, parent)

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class PublicRefFilter(django_filters.UUIDFilter):
    """``?graph=<public id>``: rows whose ``graph`` has that public id. A malformed value is a 400
    naming the parameter; an unknown or another tenant's id matches nothing (no existence check
    against the whole table, unlike django-filter's default ModelChoiceFilter)."""

    def __init__(self, relation: str, **kwargs):
        super().__init__(field_name=f"{relation}__public_id", **kwargs)


class PublicIdLookupMixin:
    """Detail routes look the row up by its public id. The URL keyword stays ``pk`` (so routes,
    schema and actions' ``pk`` argument are unchanged); a value that is not a UUID, such as the
    row's old integer id, matches nothing: 404 (DRF turns the UUID field's ValidationError
    into Http404)."""

    lookup_field = "public_id"
    lookup_url_kwarg = "pk"
