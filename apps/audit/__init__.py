"""The append-only, hash-chained audit log: one chain per tenant plus a platform chain."""
