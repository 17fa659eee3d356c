"""What every anchor store offers (``AnchorStore``) and the one-line JSON form of a record,
shared by the file store (``.store``) and the S3 store (``.s3``)."""

from __future__ import annotations

import json

from .records import AnchorRecord

UNREADABLE = "unreadable"


def safe_chain_name(chain: str) -> str:
    """A chain key as a file or object name (``tenant:<uuid>`` -> ``tenant-<uuid>``)."""
    return chain.replace(":", "-").replace("/", "-")


def parse_line(line: str, where: str) -> AnchorRecord:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        data = {"type": UNREADABLE, "raw": line[:200]}
    return AnchorRecord(data=data, where=where)


def record_line(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"


class AnchorStore:
    """What every anchor store offers; records are the signed dicts of ``.records``."""

    url: str = ""

    def append(self, record: dict) -> None:
        """Add an ``anchor`` or ``restore`` record to its chain's records, durably."""
        raise NotImplementedError

    def add_to_manifest(self, record: dict) -> None:
        """Add a chain's manifest entry, durably."""
        raise NotImplementedError

    def manifest(self) -> list[AnchorRecord]:
        """Every manifest entry, in the order written."""
        raise NotImplementedError

    def chains(self) -> list[str]:
        """The chains that have anchor records (by the chain named inside the records)."""
        raise NotImplementedError

    def records(self, chain: str) -> list[AnchorRecord]:
        """The anchor and restore records of ``chain``, oldest first."""
        raise NotImplementedError

    def last_record(self, chain: str) -> AnchorRecord | None:
        """The newest record of ``chain`` (what the next record links to)."""
        records = self.records(chain)
        return records[-1] if records else None
