"""The web page that draws a node's neighbourhood (cytoscape.js, served from our static files).

The page embeds the first neighbourhood (so it draws without a second request) and expands a
node on click through the REST API, with the session's tenant in ``X-Tenant``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from . import selectors
from .graphs.algorithms import NodeNotFound
from .models import Graph

DEFAULT_HOPS = 1
MAX_DRAWN_NODES = 150


def neighbourhood_context(graph: Graph, node: str | None, hops: int = DEFAULT_HOPS) -> dict:
    """What the neighbourhood template needs; the centre defaults to the best-connected node
    (degree: linear time, where PageRank on a large graph would hold the page for seconds)."""
    if not node:
        g = selectors.graph_networkx(graph)
        node = max(g.degree, key=lambda item: (item[1], str(item[0])))[0] if len(g) else None
    elements = None
    error = ""
    if node is not None:
        try:
            hood = selectors.graph_khop(
                graph, node, hops, direction="both", max_nodes=MAX_DRAWN_NODES
            )
            elements = selectors.neighbourhood_as_elements(graph, hood)
        except NodeNotFound as exc:
            error = str(exc)
    return {
        "graph": graph,
        "node": node or "",
        "hops": hops,
        "elements": elements or {"nodes": [], "edges": []},
        "error": error,
        "api_url": f"/api/v1/knowledge/graphs/{graph.public_id}/",
        "tenant_slug": graph.tenant.slug,
    }


@login_required
def neighbourhood(request, graph_id):
    """``graph_id`` is the graph's public id (the URL takes only a UUID)."""
    graph = (
        selectors.graphs_visible_to(request.user)
        .select_related("tenant")
        .filter(public_id=graph_id)
        .first()
    )
    if graph is None:  # another tenant's graph looks exactly like a missing one
        raise Http404("No such graph.")
    try:
        hops = max(1, min(3, int(request.GET.get("k", DEFAULT_HOPS))))
    except ValueError:
        hops = DEFAULT_HOPS
    context = neighbourhood_context(graph, request.GET.get("node"), hops)
    # Drawn in the admin's frame, like the operator console: the platform's name, logo, theme.
    title = f"Neighbourhood of {context['node']}" if context["node"] else "Neighbourhood"
    context = {**admin.site.each_context(request), "title": title, **context}
    return render(request, "knowledge/neighbourhood.html", context)
