"""A graph's opaque ``public_id`` becomes its primary key (issue 17: the id clients hold is the
id the database keys on, so ``graph.pk`` is never a sequential number).

The referencing columns (``graph_id`` of nodes, edges and import uploads) move from the integer
to the UUID in the same migration: a UUID copy of each reference is filled by one set-based
UPDATE, the integer references and their indexes go, the key moves, and the references come
back under their old names and indexes. Works on PostgreSQL and on SQLite (table remakes).
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

REFERENCING = ("node", "edge", "importupload")


def _copy_refs(to_uuid: bool):
    """RunSQL for each referencing table: integer reference -> ``graph_ref``, or back."""
    statements = []
    for model in REFERENCING:
        table = f"knowledge_{model}"
        if to_uuid:
            statements.append(
                f"UPDATE {table} SET graph_ref = (SELECT g.public_id FROM knowledge_graph g "
                f"WHERE g.id = {table}.graph_id)"
            )
        else:
            statements.append(f"UPDATE {table} SET graph_id = graph_ref")
    # Irreversible on purpose: the integer keys are gone (a backup restores the old schema).
    return [migrations.RunSQL(sql) for sql in statements]


def drop_integer_primary_key(apps, schema_editor):
    """PostgreSQL: drop the integer key's constraint before the UUID becomes the key (Django's
    AlterField adds the new primary key without removing the old one). SQLite remakes the table
    with the new key instead, so nothing is needed there."""
    if schema_editor.connection.vendor != "postgresql":
        return
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "knowledge_graph")
    for name, info in constraints.items():
        if info["primary_key"]:
            schema_editor.execute(
                f"ALTER TABLE knowledge_graph DROP CONSTRAINT {schema_editor.quote_name(name)}"
            )


def _graph_fk(model: str, *, null: bool):
    options = {
        "node": dict(related_name="nodes", db_index=False),
        "edge": dict(related_name="edges", db_index=False, db_constraint=False),
        "importupload": dict(related_name="uploads"),
    }[model]
    return models.ForeignKey(
        null=null, on_delete=django.db.models.deletion.CASCADE, to="knowledge.graph", **options
    )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_op17_public_ids")]

    operations = [
        *[
            migrations.AddField(model, "graph_ref", models.UUIDField(null=True))
            for model in REFERENCING
        ],
        *_copy_refs(to_uuid=True),
        # Edges carry no database constraint (db_constraint=False): one left behind by a graph
        # deleted outside the services has no graph to move to, and would fail NOT NULL below.
        migrations.RunSQL("DELETE FROM knowledge_edge WHERE graph_ref IS NULL"),
        migrations.RemoveConstraint("node", "knowledge_node_unique_key"),
        migrations.RemoveIndex("node", "knowledge_n_graph_i_e2afd5_idx"),
        migrations.RemoveConstraint("edge", "knowledge_edge_unique"),
        *[migrations.RemoveField(model, "graph") for model in REFERENCING],
        migrations.RunPython(drop_integer_primary_key),
        migrations.AlterField(
            model_name="graph",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                primary_key=True,
                serialize=False,
                help_text=(
                    "The graph's opaque id and primary key: the only id the API, pages and "
                    "audit show."
                ),
            ),
        ),
        migrations.RemoveField("graph", "id"),
        *[migrations.AddField(model, "graph", _graph_fk(model, null=True)) for model in REFERENCING],
        *_copy_refs(to_uuid=False),
        *[
            migrations.AlterField(model, "graph", _graph_fk(model, null=False))
            for model in REFERENCING
        ],
        *[migrations.RemoveField(model, "graph_ref") for model in REFERENCING],
        migrations.AddConstraint(
            "node",
            models.UniqueConstraint(fields=("graph", "key"), name="knowledge_node_unique_key"),
        ),
        migrations.AddIndex(
            "node", models.Index(fields=["graph", "type"], name="knowledge_n_graph_i_e2afd5_idx")
        ),
        migrations.AddConstraint(
            "edge",
            models.UniqueConstraint(
                fields=("graph", "source", "target", "type"), name="knowledge_edge_unique"
            ),
        ),
    ]
