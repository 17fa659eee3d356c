"""Fraud rings on an account–identifier graph: connected components of accounts linked by
shared identifiers (device, IP, phone, card), ignoring hub identifiers that too many accounts
share (a public IP, a shop's card terminal device), which would chain unrelated customers
into one giant component."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

IDENTIFIER_KINDS = ("device", "ip", "phone", "card")
ACCOUNT = "account"


def account_key(external_id: str) -> str:
    return f"account:{external_id}"


def identifier_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


@dataclass
class Ring:
    accounts: list[str]  # account node keys
    shared: list[dict] = field(default_factory=list)  # {"key", "kind", "accounts"}
    confirmed_fraud: int = 0
    score: float = 0.0


def ring_score(size: int, shared_identifiers: int, confirmed_fraud: int) -> float:
    """In [0, 1): grows with the number of accounts, the identifiers they share and, most of
    all, with members already confirmed as fraud (1 - exp(-evidence))."""
    evidence = 0.25 * (size - 1) + 0.1 * max(shared_identifiers - 1, 0) + 1.2 * confirmed_fraud
    return round(1.0 - math.exp(-evidence), 4)


def find_rings(
    graph: nx.Graph, *, max_accounts_per_identifier: int, fraud: set[str]
) -> tuple[list[Ring], list[str]]:
    """Rings (components of two or more accounts) and the hub identifiers that were ignored.

    ``graph``: any networkx graph whose nodes have ``type`` ``account`` or an identifier kind
    and whose edges join accounts to identifiers (direction and multiplicity are ignored).
    """
    links = nx.Graph()
    hubs = []
    for node, data in graph.nodes(data=True):
        if data.get("type") not in IDENTIFIER_KINDS:
            continue
        accounts = {
            n for n in nx.all_neighbors(graph, node) if graph.nodes[n].get("type") == ACCOUNT
        }
        if len(accounts) > max_accounts_per_identifier:
            hubs.append(node)
            continue
        if len(accounts) < 2:
            continue
        members = sorted(accounts)
        links.add_nodes_from(members)
        # A star through the identifier joins them all; the identifier is kept on the edges.
        for other in members[1:]:
            links.add_edge(members[0], other)
        links.graph.setdefault("shared", {})[node] = members
    shared_by_account: dict[str, list[str]] = {}
    for identifier, members in links.graph.get("shared", {}).items():
        for member in members:
            shared_by_account.setdefault(member, []).append(identifier)
    rings = []
    for component in nx.connected_components(links):
        accounts = sorted(component)
        identifiers = sorted({i for a in accounts for i in shared_by_account.get(a, [])})
        shared = [
            {
                "key": key,
                "kind": graph.nodes[key].get("type"),
                "accounts": len(links.graph["shared"][key]),
            }
            for key in identifiers
        ]
        confirmed = sum(1 for a in accounts if a in fraud)
        rings.append(
            Ring(
                accounts=accounts,
                shared=shared,
                confirmed_fraud=confirmed,
                score=ring_score(len(accounts), len(shared), confirmed),
            )
        )
    rings.sort(key=lambda r: -r.score)
    return rings, sorted(hubs)
