"""Query-string filters of /api/v1/knowledge/: a graph is named by its public id."""

from __future__ import annotations

from django_filters.rest_framework import FilterSet

from apps.core.public_ids import PublicRefFilter
from knowledge.models import Edge, Node


class NodeFilter(FilterSet):
    graph = PublicRefFilter("graph")

    class Meta:
        model = Node
        fields = ["graph", "type", "key"]


class EdgeFilter(FilterSet):
    graph = PublicRefFilter("graph")

    class Meta:
        model = Edge
        fields = ["graph", "type"]
