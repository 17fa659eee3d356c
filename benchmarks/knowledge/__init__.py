"""``manage.py bench_knowledge``: imports, neighbourhoods and retrieval against raw networkx.

``synthetic`` makes the graph (CSV texts, reproducible from a seed); ``runner`` holds the
measurements, each returning numbers that the command prints.
"""
