"""/api/v1/knowledge/: graphs, their nodes and edges, imports and exports, and the queries.

Thin views: validate, call a service or selector, serialize. Every graph action starts with
``get_object()``, so another tenant's graph is a 404 before anything else is looked at.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.accounts.roles import Role
from apps.core.public_ids import PublicIdLookupMixin
from apps.core.upload_guard import check_count
from apps.core.verticals import declarations
from apps.jobs.api.serializers import JobSerializer
from apps.surface.viewsets import TenantScopedModelViewSet, TenantScopedReadOnlyViewSet
from knowledge import selectors, services
from knowledge.graphs import formats
from knowledge.graphs.algorithms import NodeNotFound
from knowledge.graphs.drawing import neighbourhood_png
from knowledge.graphs.validation import GraphValidationError
from knowledge.models import Edge, Graph, Node

from . import serializers as s
from .filters import EdgeFilter, NodeFilter
from .search_filter import KnowledgeSearchFilter

READERS = set(Role.values)
# Admins and the roles that write some domain (each vertical declares its domains and their
# writers) curate knowledge; apps.accounts.domains says which domain each role writes and the
# base viewset applies it to every graph, node and edge. Everyone else (auditors, a model
# validator) only reads.
WRITERS = {Role.ADMIN} | {
    role
    for vertical in declarations(settings.INSTALLED_APPS)
    for domain in vertical.data_domains
    for role in domain.write
}
WRITE_ACTIONS = frozenset({"import_files", "upsert", "delete_nodes", "embeddings"})
READ_ACTIONS = (
    "neighbours",
    "khop",
    "shortest_path",
    "components",
    "pagerank",
    "linked",
    "link",
    "search",
    "export",
    "subgraph_png",
)


def _invalid(exc: GraphValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.as_errors())


def _query(serializer_class, request):
    body = serializer_class(data=request.query_params)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _node_missing(exc: NodeNotFound, field: str = "node") -> serializers.ValidationError:
    return serializers.ValidationError({field: [str(exc)]})


def _khop(graph, q: dict):
    """The ``k``-hop neighbourhood a validated ``KhopQuerySerializer`` query asks for."""
    try:
        return selectors.graph_khop(
            graph,
            q["node"],
            q["k"],
            edge_types=q["edge_types"],
            direction=q["direction"],
            max_nodes=q["max_nodes"],
        )
    except NodeNotFound as exc:
        raise _node_missing(exc) from exc


def _job_response(job, request) -> Response:
    body = JobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class GraphViewSet(PublicIdLookupMixin, TenantScopedModelViewSet):
    """The tenant's knowledge graphs, their imports/exports and the reasoning queries."""

    queryset = Graph.objects.order_by("name")
    model_actions = frozenset({"link", "search"})
    serializer_class = s.GraphSerializer
    filterset_fields = ["domain", "name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    allowed_roles = {**{name: READERS for name in READ_ACTIONS}, "read": READERS, "write": WRITERS}
    domain_field = "domain"
    write_actions = WRITE_ACTIONS

    def get_tenant_queryset(self, tenant):
        return selectors.graphs_of(tenant=tenant)

    def get_serializer_class(self):
        return s.GraphDetailSerializer if self.action == "retrieve" else s.GraphSerializer

    # ------------------------------------------------------------------ CRUD
    @extend_schema(request=s.GraphCreateSerializer, responses={201: s.GraphSerializer})
    def create(self, request):
        body = s.GraphCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.require_domain_write(body.validated_data.get("domain", "general"))
        taken = serializers.ValidationError({"name": ["a graph with this name exists"]})
        if (
            selectors.graphs_of(tenant=request.tenant)
            .filter(name=body.validated_data["name"])
            .exists()
        ):
            raise taken
        try:
            graph = services.graph_create_audited(tenant=request.tenant, **body.validated_data)
        except IntegrityError as exc:  # created by a concurrent request since the check
            raise taken from exc
        return Response(s.GraphSerializer(graph).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.GraphUpdateSerializer, responses=s.GraphSerializer)
    def partial_update(self, request, pk=None):
        graph = self.get_object()
        body = s.GraphUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "domain" in body.validated_data:  # moving a graph needs write on both domains
            self.require_domain_write(body.validated_data["domain"])
        try:
            graph = services.graph_update_audited(
                tenant=request.tenant, graph=graph, **body.validated_data
            )
        except IntegrityError as exc:
            raise serializers.ValidationError({"name": ["a graph with this name exists"]}) from exc
        return Response(s.GraphSerializer(graph).data)

    def destroy(self, request, pk=None):
        graph = self.get_object()
        services.graph_delete_audited(tenant=request.tenant, graph=graph)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ------------------------------------------------------------------ writes
    @extend_schema(request=s.ImportSerializer, responses={202: JobSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[JSONParser, MultiPartParser],
    )
    def import_files(self, request, pk=None):
        """Import node-link JSON, CSV (nodes.csv, edges.csv) or GraphML as a job (202).

        JSON body ``{"format": "csv", "files": {"nodes.csv": "...", "edges.csv": "..."}}`` or a
        multipart form with ``format`` and the files. A file that fails validation is answered
        400 at once, each error keyed ``file:line:field``; nothing is written."""
        graph = self.get_object()
        data = request.data
        if request.FILES:
            files = {}
            for upload in request.FILES.values():
                try:
                    files[upload.name] = upload.read().decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise serializers.ValidationError({upload.name: ["is not UTF-8 text"]}) from exc
            data = {"format": data.get("format"), "files": files}
        body = s.ImportSerializer(data=data)
        body.is_valid(raise_exception=True)
        fmt, files = body.validated_data["format"], body.validated_data["files"]
        for file_name, text in files.items():  # the upload guard's caps, before parsing
            check_count("max_rows", text.count("\n"), field=file_name)
        try:
            job = services.graph_import_start_audited(
                tenant=request.tenant, graph=graph, fmt=fmt, files=files
            )
        except GraphValidationError as exc:
            raise _invalid(exc) from exc
        return _job_response(job, request)

    @extend_schema(request=s.UpsertSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def upsert(self, request, pk=None):
        """Upsert nodes and edges by key (idempotent); errors are keyed ``nodes:N:field``."""
        graph = self.get_object()
        body = s.UpsertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = services.graph_upsert_audited(
                tenant=request.tenant, graph=graph, **body.validated_data
            )
        except GraphValidationError as exc:
            raise _invalid(exc) from exc
        return Response(result.as_dict())

    @extend_schema(request=s.DeleteNodesSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="delete-nodes")
    def delete_nodes(self, request, pk=None):
        """Delete nodes by key, with their edges."""
        graph = self.get_object()
        body = s.DeleteNodesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deleted = services.nodes_delete_audited(
            tenant=request.tenant, graph=graph, keys=body.validated_data["keys"]
        )
        return Response({"deleted": deleted, "version": graph.version})

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def embeddings(self, request, pk=None):
        """Compute missing or stale node embeddings as a job (202)."""
        graph = self.get_object()
        job = services.node_embeddings_start_audited(tenant=request.tenant, graph=graph)
        return _job_response(job, request)

    # ------------------------------------------------------------------ reads
    @extend_schema(
        parameters=[OpenApiParameter("file_format", enum=list(formats.FORMATS))],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The graph as node-link JSON, CSV (a zip of nodes.csv and edges.csv) or GraphML."""
        graph = self.get_object()
        fmt = _query(s.ExportQuerySerializer, request)["file_format"]
        exported = selectors.graph_export(graph, fmt)
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response

    @extend_schema(parameters=[s.NodeQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def neighbours(self, request, pk=None):
        """Neighbours of ``node`` by edge type (``edge_types=a,b``) and ``direction``."""
        graph = self.get_object()
        q = _query(s.NodeQuerySerializer, request)
        try:
            rows = selectors.node_neighbours(
                graph, q["node"], edge_types=q["edge_types"], direction=q["direction"]
            )
        except NodeNotFound as exc:
            raise _node_missing(exc) from exc
        return Response({"graph": graph.name, "node": q["node"], "neighbours": rows})

    @extend_schema(parameters=[s.KhopQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def khop(self, request, pk=None):
        """The ``k``-hop neighbourhood of ``node``: nodes (with distance) and edges among them."""
        graph = self.get_object()
        q = _query(s.KhopQuerySerializer, request)
        hood = _khop(graph, q)
        return Response(selectors.neighbourhood_as_elements(graph, hood))

    @extend_schema(
        parameters=[s.PngQuerySerializer], responses={(200, "image/png"): OpenApiTypes.BINARY}
    )
    @action(detail=True, methods=["get"], url_path="subgraph-png")
    def subgraph_png(self, request, pk=None):
        """A PNG drawing of ``node``'s neighbourhood, for reports."""
        graph = self.get_object()
        q = _query(s.PngQuerySerializer, request)
        hood = _khop(graph, q)
        title = f"{graph.name} v{hood.version}: {q['node']} ({q['k']} hop)"
        return HttpResponse(neighbourhood_png(hood, title=title), content_type="image/png")

    @extend_schema(parameters=[s.PathQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="shortest-path")
    def shortest_path(self, request, pk=None):
        """A shortest path between ``source`` and ``target`` (``path`` null when none)."""
        graph = self.get_object()
        q = _query(s.PathQuerySerializer, request)
        try:
            found = selectors.graph_shortest_path(
                graph,
                q["source"],
                q["target"],
                edge_types=q["edge_types"],
                directed=q["directed"],
                weighted=q["weighted"],
            )
        except NodeNotFound as exc:
            field = "source" if exc.key == q["source"] else "target"
            raise _node_missing(exc, field) from exc
        return Response({"graph": graph.name, **found})

    @extend_schema(parameters=[s.ComponentsQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def components(self, request, pk=None):
        """Connected components over ``edge_types`` (all when absent), largest first."""
        graph = self.get_object()
        q = _query(s.ComponentsQuerySerializer, request)
        found = selectors.graph_components(
            graph, edge_types=q["edge_types"], min_size=q["min_size"]
        )
        return Response(
            {
                "graph": graph.name,
                "count": len(found),
                "components": [{"size": len(c), "nodes": c} for c in found[: q["limit"]]],
            }
        )

    @extend_schema(parameters=[s.PagerankQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def pagerank(self, request, pk=None):
        """The ``top`` nodes by PageRank over ``edge_types``."""
        graph = self.get_object()
        q = _query(s.PagerankQuerySerializer, request)
        ranked = selectors.graph_pagerank(
            graph, edge_types=q["edge_types"], top=q["top"], alpha=q["alpha"]
        )
        return Response(
            {"graph": graph.name, "ranking": [{"key": k, "score": v} for k, v in ranked]}
        )

    @extend_schema(request=s.LinkedSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def linked(self, request, pk=None):
        """Which of ``nodes`` are linked by an edge of ``edge_type`` (contradictions,
        interactions)."""
        graph = self.get_object()
        body = s.LinkedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pairs = selectors.nodes_linked_by(
            graph,
            body.validated_data["nodes"],
            body.validated_data["edge_type"],
            directed=body.validated_data["directed"],
        )
        return Response({"graph": graph.name, "pairs": pairs})

    @extend_schema(request=s.LinkSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Entity linking: the nodes ``text`` mentions (exact, alias, fuzzy, embedding)."""
        graph = self.get_object()
        body = s.LinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(selectors.entity_link(graph, **body.validated_data))

    @extend_schema(request=s.SearchSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def search(self, request, pk=None):
        """Hybrid retrieval (BM25 + embeddings); every hit cites graph, version, key, score."""
        graph = self.get_object()
        body = s.SearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(selectors.knowledge_search(graph, **body.validated_data))


class NodeViewSet(PublicIdLookupMixin, TenantScopedReadOnlyViewSet):
    """The tenant's nodes (filter by ``graph``, ``type``, ``key``; ``search`` finds nodes by
    name, synonym or description with the graph's hybrid retrieval, best first)."""

    queryset = Node.objects.order_by("graph_id", "key")
    serializer_class = s.NodeSerializer
    tenant_field = "graph__tenant"
    domain_field = "graph__domain"
    filterset_class = NodeFilter
    filter_backends = [*api_settings.DEFAULT_FILTER_BACKENDS, KnowledgeSearchFilter]
    allowed_roles = READERS

    def get_tenant_queryset(self, tenant):
        return selectors.nodes_of(tenant=tenant).select_related("graph")


class EdgeViewSet(PublicIdLookupMixin, TenantScopedReadOnlyViewSet):
    """The tenant's edges (filter by ``graph`` and ``type``)."""

    queryset = Edge.objects.order_by("graph_id", "id")
    serializer_class = s.EdgeSerializer
    tenant_field = "graph__tenant"
    domain_field = "graph__domain"
    filterset_class = EdgeFilter
    allowed_roles = READERS

    def get_tenant_queryset(self, tenant):
        return selectors.edges_of(tenant=tenant).select_related("graph", "source", "target")
