#!/usr/bin/env bash
# `make restore BACKUP=var/backups/<time>`: restore the database into DATABASE_URL (an empty
# database, or the one to replace: objects are dropped first) and the files; then verify the
# audit log against the anchor store (AUDIT_ANCHOR_URL). The anchor store is restored from the
# backup only when it is missing: anchors are append-only evidence, never rolled back.
# Restoring an older backup makes audit_verify report truncation until the operator records the
# restore: `manage.py audit_restore_record --note "restored <backup> because ..."`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BACKUP:?set BACKUP to a backup folder made by make backup}"
: "${DATABASE_URL:?set DATABASE_URL (PostgreSQL) to restore into}"
(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS)
pg_restore --clean --if-exists --no-owner --exit-on-error --dbname "$DATABASE_URL" "$BACKUP/db.dump"
anchors=${AUDIT_ANCHOR_URL:-}
if [[ "$anchors" == file://* ]] && [ -f "$BACKUP/anchors.tar" ]; then
  root=${anchors#file://}
  if [ ! -d "$root" ] || [ -z "$(ls -A "$root")" ]; then
    mkdir -p "$root" && tar -C "$root" -xf "$BACKUP/anchors.tar"
    echo "anchor store was missing: restored from the backup"
  fi
fi
if [ -f "$BACKUP/files.tar" ]; then tar -xf "$BACKUP/files.tar"; fi
.venv/bin/python manage.py migrate --noinput >/dev/null
if .venv/bin/python manage.py audit_verify; then
  echo "restored $BACKUP; the audit log verifies against the anchors"
else
  echo "restored $BACKUP, but the audit log does not match the anchors (see above). If this is" \
    "an older backup, record it: manage.py audit_restore_record --note '...'" >&2
  exit 3
fi
