"""Writes of the medical-records vertical (HackSoft services), re-exported here."""

from .batches import note_batch_run, note_batch_start, rows_parse
from .checks import RuleSetError, record_check, rules_for, rules_parse
from .identity import (
    Pseudonymizer,
    ReidentificationDenied,
    grant_create,
    note_reidentify,
)
from .notes import (
    NoteInput,
    NoteInputError,
    extractor_for,
    medical_graph,
    note_delete,
    note_structure,
    notes_structure,
)
from .reads import record_read
from .summaries import extraction_summarize, summary_flags

__all__ = [
    "NoteInput",
    "NoteInputError",
    "Pseudonymizer",
    "ReidentificationDenied",
    "RuleSetError",
    "extraction_summarize",
    "extractor_for",
    "grant_create",
    "medical_graph",
    "note_batch_run",
    "note_batch_start",
    "note_delete",
    "note_reidentify",
    "note_structure",
    "notes_structure",
    "record_check",
    "record_read",
    "rows_parse",
    "rules_for",
    "rules_parse",
    "summary_flags",
]
