"""A synthetic typed graph as CSV texts (the importer's input), reproducible from a seed."""

from __future__ import annotations

import csv
import io
import random

NODE_TYPES = ("person", "account", "device", "product", "document")
EDGE_TYPES = ("knows", "owns", "uses", "mentions", "related_to")
WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber basalt "
    "cedar dune ember fjord glacier harbor island jungle kelp lagoon meadow nectar orchard "
    "prairie quartz river savanna tundra upland valley willow"
).split()


def synthetic_csv(nodes: int, edges: int, seed: int = 42) -> tuple[dict[str, str], list[str]]:
    """``{"nodes.csv": ..., "edges.csv": ...}`` with ``nodes`` nodes and ``edges`` distinct
    edges (source, type, target) between random nodes; and the node keys."""
    rng = random.Random(seed)
    keys = [f"n{i}" for i in range(nodes)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["key", "type", "label", "aliases", "properties"])
    for i, key in enumerate(keys):
        words = " ".join(rng.choices(WORDS, k=3))
        writer.writerow(
            [key, NODE_TYPES[i % len(NODE_TYPES)], f"{words} {i}", "", f'{{"rank": {i % 100}}}']
        )
    nodes_csv = out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "target", "type", "weight", "properties"])
    seen: set[tuple[int, int, int]] = set()
    while len(seen) < edges:
        identity = (rng.randrange(nodes), rng.randrange(nodes), rng.randrange(len(EDGE_TYPES)))
        if identity in seen or identity[0] == identity[1]:
            continue
        seen.add(identity)
        source, target, type_ = identity
        writer.writerow([keys[source], keys[target], EDGE_TYPES[type_], "1.0", ""])
    return {"nodes.csv": nodes_csv, "edges.csv": out.getvalue()}, keys
