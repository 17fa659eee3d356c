"""Import and export: each format's round trip, validation that names file/line/field and
changes nothing, idempotent upserts by key, and the portable (non-COPY) write path."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest

from knowledge import selectors, services
from knowledge.graphs import formats
from knowledge.graphs.validation import GraphValidationError
from knowledge.models import Edge, Node
from knowledge.services import bulk

from .factories import medical_graph, small_graph

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["copy", "orm"])
def write_path(request, monkeypatch):
    """Run a test through PostgreSQL's COPY path and through the portable ORM path."""
    monkeypatch.setattr(bulk, "COPY_ENABLED", request.param == "copy")
    return request.param


def _snapshot(graph):
    g = selectors.graph_networkx(graph)
    nodes = {
        k: (a["type"], a["label"], a["aliases"], a["properties"]) for k, a in g.nodes(data=True)
    }
    edges = {
        (s, t, k): (a["weight"], a["properties"]) for s, t, k, a in g.edges(keys=True, data=True)
    }
    return nodes, edges


def _export(graph, fmt):
    g = selectors.graph_networkx(graph)
    if fmt == formats.NODE_LINK:
        return {"graph.json": formats.write_node_link(g, {"format": "test"})}
    if fmt == formats.GRAPHML:
        return {"graph.graphml": formats.write_graphml(g)}
    return formats.write_csv(g)


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_round_trip_each_format(fmt, tenant, write_path):
    source = medical_graph(tenant)  # Chinese aliases, JSON properties, edge properties
    target = services.graph_create(tenant=tenant, name=f"copy-{fmt.replace('-', '')}")
    result = services.graph_import(graph=target, fmt=fmt, files=_export(source, fmt))
    assert result.nodes_changed == result.nodes == source.nodes.count()
    assert result.edges_changed == result.edges == source.edges.count()
    assert _snapshot(target) == _snapshot(source)
    # Exporting the copy gives the same text again.
    assert _export(target, fmt) == _export(source, fmt)


def test_exports_are_readable_by_networkx(tenant):
    graph = small_graph(tenant)
    g = selectors.graph_networkx(graph)
    data = json.loads(formats.write_node_link(g))
    back = nx.node_link_graph(data, edges="edges")
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    parsed = nx.read_graphml(io.BytesIO(formats.write_graphml(g).encode()))
    assert parsed.nodes["a"]["label"] == "Alice"
    assert json.loads(parsed.nodes["b"]["properties"]) == {"city": "Oslo"}


def test_reimport_is_idempotent_and_keeps_the_version(tenant, write_path):
    graph = small_graph(tenant)
    files = _export(graph, formats.CSV)
    version = graph.version
    again = services.graph_import(graph=graph, fmt="csv", files=files)
    assert (again.nodes_changed, again.edges_changed) == (0, 0)
    assert again.version == version
    assert Node.objects.filter(graph=graph).count() == 5
    assert Edge.objects.filter(graph=graph).count() == 5


def test_upsert_changes_only_what_differs_and_bumps_the_version(tenant, write_path):
    graph = small_graph(tenant)
    before = graph.version
    result = services.graph_upsert(
        graph=graph,
        nodes=[
            {"key": "a", "type": "person", "label": "Alice", "aliases": ["Ally"]},  # same
            {"key": "b", "type": "person", "label": "Robert"},  # changed
            {"key": "f", "type": "device", "label": "Tablet F"},  # new
        ],
        edges=[
            {"source": "a", "target": "b", "type": "knows", "weight": 1.0},  # same
            {"source": "a", "target": "b", "type": "knows", "weight": 3.0},
        ][1:]
        + [{"source": "e", "target": "f", "type": "uses"}],
    )
    assert (result.nodes_changed, result.edges_changed) == (2, 2)
    assert result.version == before + 1
    b = Node.objects.get(graph=graph, key="b")
    assert b.label == "Robert" and b.properties == {}  # an upsert replaces the node's fields
    assert Edge.objects.get(graph=graph, source__key="a", target__key="b", type="knows").weight == 3


def _problems(excinfo):
    return [(p.file, p.line, p.field) for p in excinfo.value.problems]


def _unchanged(graph, counts, version):
    graph.refresh_from_db()
    assert (graph.nodes.count(), graph.edges.count(), graph.version) == (*counts, version)


def test_csv_errors_name_file_line_and_field_and_change_nothing(tenant, write_path):
    graph = small_graph(tenant)
    counts, version = (graph.nodes.count(), graph.edges.count()), graph.version
    files = {
        "nodes.csv": "key,type,label\nx1,person,Xavier\nx1,person,Again\nx2,bad type,Y\n",
        "edges.csv": (
            "source,target,type,weight\nx1,a,knows,1\nx1,nowhere,knows,1\na,b,knows,heavy\n"
        ),
    }
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="csv", files=files)
    found = _problems(excinfo)
    assert ("nodes.csv", 4, "type") in found  # "bad type" is not a type name
    assert ("edges.csv", 4, "weight") in found  # "heavy" is not a number
    _unchanged(graph, counts, version)
    # With the field errors fixed, the batch checks speak: duplicate key, unknown node.
    files["nodes.csv"] = "key,type,label\nx1,person,Xavier\nx1,person,Again\n"
    files["edges.csv"] = "source,target,type\nx1,a,knows\nx1,nowhere,knows\n"
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="csv", files=files)
    found = _problems(excinfo)
    assert ("nodes.csv", 3, "key") in found
    assert ("edges.csv", 3, "target") in found
    assert "unknown node 'nowhere'" in str(excinfo.value)
    assert "first at nodes.csv:2" in str(excinfo.value)
    _unchanged(graph, counts, version)


def test_csv_header_errors(tenant):
    graph = small_graph(tenant)
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(
            graph=graph, fmt="csv", files={"nodes.csv": "key,colour\nq,red\n", "notes.txt": ""}
        )
    found = _problems(excinfo)
    assert ("nodes.csv", 1, "colour") in found
    assert ("nodes.csv", 1, "type") in found  # required column missing
    assert ("notes.txt", 0, "file") in found


def test_node_link_errors_carry_json_line_numbers(tenant, write_path):
    graph = small_graph(tenant)
    counts, version = (graph.nodes.count(), graph.edges.count()), graph.version
    text = (
        '{"directed": true,\n'
        ' "nodes": [\n'
        '  {"id": "n1", "type": "person"},\n'
        '  {"id": "n2", "type": 7},\n'
        '  {"id": "n3", "type": "person", "properties": [1]}\n'
        " ],\n"
        ' "edges": [\n'
        '  {"source": "n1", "target": "ghost", "type": "knows"}\n'
        " ]}\n"
    )
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="node-link", files={"g.json": text})
    assert _problems(excinfo) == [("g.json", 4, "type"), ("g.json", 5, "properties")]
    valid_nodes = text.replace('"type": 7', '"type": "person"').replace(', "properties": [1]', "")
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="node-link", files={"g.json": valid_nodes})
    assert _problems(excinfo) == [("g.json", 8, "target")]
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(
            graph=graph, fmt="node-link", files={"g.json": '{"nodes": [\n{"id": }'}
        )
    assert _problems(excinfo)[0][:2] == ("g.json", 2)
    _unchanged(graph, counts, version)


def test_graphml_errors_carry_xml_line_numbers(tenant):
    graph = small_graph(tenant)
    text = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d0" for="node" attr.name="type" attr.type="string"/>
  <key id="d1" for="edge" attr.name="weight" attr.type="double"/>
  <key id="d2" for="edge" attr.name="type" attr.type="string"/>
  <key id="d3" for="node" attr.name="colour" attr.type="string"/>
  <graph edgedefault="directed">
    <node id="g1"><data key="d0">person</data><data key="d3">red</data></node>
    <node id="g2"><data key="d0">person</data></node>
    <edge source="g1" target="g2"><data key="d2">knows</data><data key="d1">lots</data></edge>
  </graph>
</graphml>
"""
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="graphml", files={"x.graphml": text})
    assert _problems(excinfo) == [("x.graphml", 10, "weight")]
    services.graph_import(
        graph=graph, fmt="graphml", files={"x.graphml": text.replace(">lots<", ">2.5<")}
    )
    g1 = Node.objects.get(graph=graph, key="g1")
    assert g1.properties == {"colour": "red"}  # foreign data keys become properties
    assert Edge.objects.get(graph=graph, source=g1).weight == 2.5
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_import(graph=graph, fmt="graphml", files={"y.graphml": "<graphml>\n<node"})
    assert _problems(excinfo)[0][0] == "y.graphml" and _problems(excinfo)[0][2] == "xml"


def test_schema_violations_are_wrong_types(tenant):
    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="financial_risk")
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_upsert(
            graph=graph,
            nodes=[
                {"key": "acct:1", "type": "account"},
                {"key": "dev:1", "type": "device"},
                {"key": "x", "type": "spaceship"},
            ],
            edges=[
                {"source": "dev:1", "target": "acct:1", "type": "uses_device"},
                {"source": "acct:1", "target": "dev:1", "type": "teleports_to"},
            ],
        )
    found = _problems(excinfo)
    assert ("nodes", 3, "type") in found
    assert ("edges", 1, "source") in found  # a uses_device edge starts at an account
    assert ("edges", 1, "target") in found
    assert ("edges", 2, "type") in found
    assert graph.nodes.count() == 0


def test_upsert_rejects_unknown_fields_and_non_objects(tenant):
    graph = small_graph(tenant)
    with pytest.raises(GraphValidationError) as excinfo:
        services.graph_upsert(graph=graph, nodes=[{"key": "z", "type": "t", "colour": 1}, "oops"])
    assert _problems(excinfo) == [("nodes", 1, "colour"), ("nodes", 2, "nodes")]


def test_edges_may_join_nodes_stored_earlier(tenant, write_path):
    graph = small_graph(tenant)
    result = services.graph_import(
        graph=graph, fmt="csv", files={"edges.csv": "source,target,type\ne,d,uses\n"}
    )
    assert result.edges_changed == 1
    assert selectors.node_neighbours(graph, "e", direction="out")[0]["key"] == "d"


def test_nodes_delete_removes_their_edges(tenant):
    graph = small_graph(tenant)
    assert services.nodes_delete(graph=graph, keys=["c", "missing"]) == 1
    assert not Edge.objects.filter(graph=graph, type="uses").exists()
    assert "c" not in selectors.graph_networkx(graph)


def test_graph_delete_removes_everything(tenant):
    graph = small_graph(tenant)
    graph_id = graph.pk
    services.graph_delete(graph=graph)
    assert not Node.objects.filter(graph_id=graph_id).exists()
    assert not Edge.objects.filter(graph_id=graph_id).exists()


def test_node_link_from_networkx_with_extra_attributes(tenant):
    """A file written by networkx itself (``links``, multigraph ``key`` as the edge type, any
    attributes) imports: unknown attributes become properties."""
    source = nx.MultiDiGraph()
    source.add_node("n1", type="person", colour="red")
    source.add_node("n2", type="person", label="Second", properties={"age": 40}, age=41)
    source.add_edge("n1", "n2", key="knows", weight=2.0, since=2019)
    text = json.dumps(nx.node_link_data(source, edges="links"))
    graph = services.graph_create(tenant=tenant, name="from-networkx")
    services.graph_import(graph=graph, fmt="node-link", files={"nx.json": text})
    n1 = Node.objects.get(graph=graph, key="n1")
    assert (n1.label, n1.properties) == ("n1", {"colour": "red"})
    assert Node.objects.get(graph=graph, key="n2").properties == {"age": 40}  # explicit wins
    edge = Edge.objects.get(graph=graph)
    assert (edge.type, edge.weight, edge.properties) == ("knows", 2.0, {"since": 2019})
