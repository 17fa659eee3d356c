"""``?search=`` on the node list: the knowledge layer's own retrieval, not a substring match.

Each graph the (already filtered) list covers is searched with ``selectors.knowledge_search``:
BM25 over every node's key, label, aliases (synonyms) and property values (descriptions),
blended with the similarity of stored node embeddings where the graph's embeddings job has run.
The list keeps the hits only, best score first.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, Value, When
from rest_framework.filters import BaseFilterBackend

from knowledge import selectors
from knowledge.models import Graph

MAX_HITS_PER_GRAPH = 200


class KnowledgeSearchFilter(BaseFilterBackend):
    param = "search"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.param, "").strip()
        if not query:
            return queryset
        graphs = Graph.objects.filter(pk__in=queryset.values("graph_id")).order_by("pk")
        hits = []
        for graph in graphs:
            answer = selectors.knowledge_search(graph, query, top_k=MAX_HITS_PER_GRAPH)
            hits.extend((hit["score"], graph.pk, hit["key"]) for hit in answer["hits"])
        if not hits:
            return queryset.none()
        hits.sort(key=lambda hit: -hit[0])
        matches = [Q(graph_id=graph_id, key=key) for _, graph_id, key in hits]
        where = matches[0]
        for match in matches[1:]:
            where |= match
        rank = Case(
            *(When(match, then=Value(i)) for i, match in enumerate(matches)),
            output_field=IntegerField(),
        )
        return queryset.filter(where).annotate(search_rank=rank).order_by("search_rank")

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": (
                    "Hybrid search (BM25 over names, synonyms and property values, plus stored "
                    "embeddings where computed); results best first."
                ),
                "schema": {"type": "string"},
            }
        ]
