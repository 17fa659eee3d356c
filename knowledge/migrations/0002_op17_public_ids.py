"""Graphs, nodes and edges get an opaque public id (issue 17); existing rows get a random one."""

from django.db import migrations

from apps.core.public_ids import add_public_id


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        *add_public_id("knowledge", "graph"),
        *add_public_id("knowledge", "node"),
        *add_public_id("knowledge", "edge"),
    ]
