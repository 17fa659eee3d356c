"""Request and response bodies of /api/v1/knowledge/. Request serializers reject unknown
fields (StrictSerializer); query-string serializers validate types and ranges."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.public_ids import PublicIdField, PublicRefField
from apps.core.serializers import StrictSerializer
from knowledge.graphs.algorithms import DIRECTIONS
from knowledge.graphs.formats import FORMATS
from knowledge.graphs.validation import TYPE_RE
from knowledge.models import Domain, Edge, Graph, Node
from knowledge.selectors import LINK_METHODS

MAX_ITEMS = 10_000


def _type_name(value: str) -> str:
    if not TYPE_RE.match(value):
        raise serializers.ValidationError(f"{value!r} is not a type name")
    return value


class CommaListField(serializers.CharField):
    """``a,b,c`` in a query string as a list of type names."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return [_type_name(item.strip()) for item in text.split(",") if item.strip()] or None


class SchemaField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object")
        unknown = set(value) - {"node_types", "edge_types"}
        if unknown:
            raise serializers.ValidationError(f"unknown keys: {', '.join(sorted(unknown))}")
        node_types = value.get("node_types", [])
        if not isinstance(node_types, list) or not all(isinstance(t, str) for t in node_types):
            raise serializers.ValidationError("node_types must be a list of type names")
        edge_types = value.get("edge_types", {})
        if not isinstance(edge_types, dict):
            raise serializers.ValidationError("edge_types must map edge types to endpoints")
        for name, ends in edge_types.items():
            if (
                not isinstance(ends, list)
                or len(ends) > 2
                or not all(isinstance(e, list) and all(isinstance(t, str) for t in e) for e in ends)
            ):
                raise serializers.ValidationError(
                    f"edge_types.{name} must be [[source types], [target types]]"
                )
        return value


class GraphSerializer(serializers.ModelSerializer):
    id = PublicIdField()

    class Meta:
        model = Graph
        fields = [
            "id",
            "name",
            "domain",
            "description",
            "schema",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GraphDetailSerializer(GraphSerializer):
    node_count = serializers.SerializerMethodField()
    edge_count = serializers.SerializerMethodField()

    class Meta(GraphSerializer.Meta):
        fields = [*GraphSerializer.Meta.fields, "node_count", "edge_count"]
        read_only_fields = fields

    def get_node_count(self, graph) -> int:
        return graph.nodes.count()

    def get_edge_count(self, graph) -> int:
        return graph.edges.count()


class GraphCreateSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=100)
    domain = serializers.ChoiceField(choices=Domain.choices, default=Domain.GENERAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    schema = SchemaField(required=False, default=dict)


class GraphUpdateSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=100, required=False)
    domain = serializers.ChoiceField(choices=Domain.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    schema = SchemaField(required=False)


class NodeSerializer(serializers.ModelSerializer):
    id = PublicIdField()
    graph = PublicRefField()
    has_embedding = serializers.SerializerMethodField()

    class Meta:
        model = Node
        fields = ["id", "graph", "key", "type", "label", "aliases", "properties", "has_embedding"]
        read_only_fields = fields

    def get_has_embedding(self, node) -> bool:
        return bool(node.embedding) and node.embedding_hash == node.text_hash


class EdgeSerializer(serializers.ModelSerializer):
    id = PublicIdField()
    graph = PublicRefField()
    source = serializers.CharField(source="source.key", read_only=True)
    target = serializers.CharField(source="target.key", read_only=True)

    class Meta:
        model = Edge
        fields = ["id", "graph", "type", "source", "target", "weight", "properties"]
        read_only_fields = fields


class ImportSerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=FORMATS)  # noqa: A003
    files = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False)
    )

    def validate_files(self, value):
        if not value:
            raise serializers.ValidationError("at least one file is required")
        return value


class UpsertSerializer(StrictSerializer):
    nodes = serializers.ListField(
        child=serializers.JSONField(), required=False, default=list, max_length=MAX_ITEMS
    )
    edges = serializers.ListField(
        child=serializers.JSONField(), required=False, default=list, max_length=MAX_ITEMS
    )

    def validate(self, attrs):
        if not attrs["nodes"] and not attrs["edges"]:
            raise serializers.ValidationError({"nodes": ["give nodes and/or edges"]})
        return attrs


class DeleteNodesSerializer(StrictSerializer):
    keys = serializers.ListField(
        child=serializers.CharField(max_length=255), allow_empty=False, max_length=MAX_ITEMS
    )


class NodeQuerySerializer(serializers.Serializer):
    node = serializers.CharField(max_length=255)
    edge_types = CommaListField(required=False, default=None)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="both")


class KhopQuerySerializer(NodeQuerySerializer):
    k = serializers.IntegerField(min_value=1, max_value=5, default=2)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="out")
    max_nodes = serializers.IntegerField(min_value=1, max_value=5000, default=500)


class PngQuerySerializer(KhopQuerySerializer):
    k = serializers.IntegerField(min_value=1, max_value=3, default=1)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="both")
    max_nodes = serializers.IntegerField(min_value=1, max_value=300, default=80)


class PathQuerySerializer(serializers.Serializer):
    source = serializers.CharField(max_length=255)
    target = serializers.CharField(max_length=255)
    edge_types = CommaListField(required=False, default=None)
    directed = serializers.BooleanField(default=False)
    weighted = serializers.BooleanField(default=False)


class ComponentsQuerySerializer(serializers.Serializer):
    edge_types = CommaListField(required=False, default=None)
    min_size = serializers.IntegerField(min_value=1, default=2)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class PagerankQuerySerializer(serializers.Serializer):
    edge_types = CommaListField(required=False, default=None)
    top = serializers.IntegerField(min_value=1, max_value=1000, default=20)
    alpha = serializers.FloatField(min_value=0.01, max_value=0.99, default=0.85)


class ExportQuerySerializer(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=FORMATS, default="node-link")


class LinkedSerializer(StrictSerializer):
    nodes = serializers.ListField(
        child=serializers.CharField(max_length=255), allow_empty=False, max_length=MAX_ITEMS
    )
    edge_type = serializers.CharField(max_length=64, validators=[_type_name])
    directed = serializers.BooleanField(default=False)


class LinkSerializer(StrictSerializer):
    text = serializers.CharField(max_length=20_000)
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=LINK_METHODS),
        default=lambda: ["exact", "alias", "fuzzy"],
        allow_empty=False,
    )
    types = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    fuzzy_threshold = serializers.FloatField(min_value=50, max_value=100, default=88.0)
    embedding_threshold = serializers.FloatField(min_value=0, max_value=1, default=0.55)


class SearchSerializer(StrictSerializer):
    query = serializers.CharField(max_length=2000)
    top_k = serializers.IntegerField(min_value=1, max_value=200, default=10)
    threshold = serializers.FloatField(min_value=0, max_value=1, default=0.0)
    embedding_weight = serializers.FloatField(min_value=0, max_value=1, default=0.5)
    types = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    properties = serializers.DictField(required=False)
