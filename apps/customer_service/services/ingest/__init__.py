"""Help-centre files into sections and chunks, free of the database: parsers per format
(``parsers.py``) and heading-aware chunking (``chunking.py``)."""

from .chunking import ChunkText, chunk_sections
from .parsers import FORMATS, DocumentError, ParsedDocument, Section, detect_format, parse

__all__ = [
    "FORMATS",
    "ChunkText",
    "DocumentError",
    "ParsedDocument",
    "Section",
    "chunk_sections",
    "detect_format",
    "parse",
]
