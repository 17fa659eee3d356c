"""The knowledge-graph layer: tenant-scoped typed graphs on networkx (a Django app plus the
graph library it serves). Services write (and bump the graph's version), selectors read through
a per-process networkx cache keyed by that version. See knowledge/README.md."""
