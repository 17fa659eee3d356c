"""``manage.py bench_knowledge``: imports, neighbourhoods and retrieval against raw networkx.

``synthetic`` makes the graph (CSV texts, reproducible from a seed); ``runner`` holds the
single measurements, each returning numbers; ``benchmark.measure`` runs them in order,
starts and stops the processes, and returns the report the command prints.
"""
