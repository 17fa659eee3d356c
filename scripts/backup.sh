#!/usr/bin/env bash
# `make backup`: the database (pg_dump, custom format), a copy of the file:// audit anchor store
# and the platform's files (BACKUP_FILES, default var/exports) into BACKUP_DIR (default
# var/backups/<UTC time>), with SHA-256 sums. Needs DATABASE_URL (PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL (PostgreSQL) to back up}"
dir=${BACKUP_DIR:-var/backups/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$dir"
pg_dump --format=custom --no-owner --file "$dir/db.dump" "$DATABASE_URL"
anchors=${AUDIT_ANCHOR_URL:-}
if [[ "$anchors" == file://* ]] && [ -d "${anchors#file://}" ]; then
  # A copy for disaster recovery only: restore.sh never overwrites a live anchor store.
  tar -C "${anchors#file://}" -cf "$dir/anchors.tar" .
fi
files=${BACKUP_FILES:-var/exports}
if [ -d "$files" ]; then tar -cf "$dir/files.tar" "$files"; fi
(cd "$dir" && sha256sum ./* > SHA256SUMS)
echo "$dir"
