"""Admin for knowledge graphs: graphs (edited through the services, so versions bump), read-only
nodes and edges (they change through imports and the API), and the neighbourhood drawing."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.html import format_html

from apps.surface.admin_base import TenantScopedAdmin

from . import services
from .models import Edge, Graph, Node
from .views import neighbourhood_context


@admin.register(Graph)
class GraphAdmin(TenantScopedAdmin):
    domain_field = "domain"
    list_display = ("name", "tenant", "domain", "version", "updated_at", "drawing")
    list_filter = ("domain",)
    search_fields = ("name", "description")
    readonly_fields = ("version", "created_at", "updated_at")
    fields = ("tenant", "name", "domain", "description", "schema", *readonly_fields)

    @admin.display(description="Drawing")
    def drawing(self, graph):
        return format_html('<a href="{}/neighbourhood/">draw</a>', graph.pk)

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.graph_create(
                tenant=obj.tenant,
                name=obj.name,
                domain=obj.domain,
                description=obj.description,
                schema=obj.schema,
            )
            obj.pk, obj.public_id, obj.version = created.pk, created.public_id, created.version
            return
        fields = {name: getattr(obj, name) for name in form.changed_data if name != "tenant"}
        if fields:
            services.graph_update(graph=obj, **fields)

    def delete_model(self, request, obj):
        services.graph_delete(graph=obj)

    def delete_queryset(self, request, queryset):
        for graph in queryset:
            services.graph_delete(graph=graph)

    def get_deleted_objects(self, objs, request):
        # A graph's nodes and edges go with it (their admins are read-only, which Django would
        # otherwise read as "you may not delete the related objects").
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def get_urls(self):
        extra = [
            path(
                "<uuid:graph_id>/neighbourhood/",
                self.admin_site.admin_view(self.neighbourhood_view),
                name="knowledge_graph_neighbourhood",
            )
        ]
        return extra + super().get_urls()

    def neighbourhood_view(self, request, graph_id):
        if not self.has_view_permission(request):
            raise Http404("No such graph.")
        graph = self.get_queryset(request).select_related("tenant").filter(pk=graph_id).first()
        if graph is None:
            raise Http404("No such graph.")
        try:
            hops = max(1, min(3, int(request.GET.get("k", 1))))
        except ValueError:
            hops = 1
        context = {
            **self.admin_site.each_context(request),
            **neighbourhood_context(graph, request.GET.get("node"), hops),
            "title": f"{graph.name}: neighbourhood",
            "opts": self.model._meta,
        }
        return render(request, "admin/knowledge/graph/neighbourhood.html", context)


class _ReadOnlyGraphPartAdmin(TenantScopedAdmin):
    """Nodes and edges change through imports and the API (which bump the graph's version);
    the admin shows them."""

    tenant_field = "graph__tenant"
    domain_field = "graph__domain"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Node)
class NodeAdmin(_ReadOnlyGraphPartAdmin):
    list_display = ("key", "type", "label", "graph")
    list_filter = ("type",)
    search_fields = ("key", "label")
    list_select_related = ("graph",)
    exclude = ("embedding",)


@admin.register(Edge)
class EdgeAdmin(_ReadOnlyGraphPartAdmin):
    list_display = ("source", "type", "target", "weight", "graph")
    list_filter = ("type",)
    list_select_related = ("graph", "source", "target")
    raw_id_fields = ("source", "target")
