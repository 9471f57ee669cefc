#!/usr/bin/env bash
# Apply the database migrations; on PostgreSQL take a pg_dump backup first.
# Stops at the first error (set -e): a failed backup means no migration is attempted.
#
#   scripts/deploy_migrations.sh            backup (PostgreSQL) + flask db upgrade + flask rates load
#   BACKUP_DIR=/var/backups/expenses scripts/deploy_migrations.sh
#   SKIP_BACKUP=true scripts/deploy_migrations.sh   (e.g. when the platform snapshots the database)
#
# Rollback (see DEPLOYMENT.md): `flask --app wsgi db downgrade <previous revision>` for a
# reversible change, or restore the dump printed below:
#   pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" <dump file>
set -euo pipefail
cd "$(dirname "$0")/.."

export ENV="${ENV:-production}"
FLASK=(flask --app wsgi)

echo "Current revision:"
"${FLASK[@]}" db current

case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*|postgresql+psycopg2://*)
    if [[ "${SKIP_BACKUP:-false}" != "true" ]]; then
      backup_dir="${BACKUP_DIR:-backups}"
      mkdir -p "$backup_dir"
      dump="$backup_dir/expenses-$(date -u +%Y%m%dT%H%M%SZ).dump"
      # pg_dump understands postgresql:// but not SQLAlchemy's +psycopg2 driver suffix.
      pg_url="${DATABASE_URL/postgresql+psycopg2:\/\//postgresql://}"
      pg_url="${pg_url/postgres:\/\//postgresql://}"
      echo "Backing up the database to $dump"
      pg_dump --format=custom --no-owner --file="$dump" "$pg_url"
      echo "Backup written: $dump ($(du -h "$dump" | cut -f1))"
    fi
    ;;
  *)
    echo "Not PostgreSQL: no pg_dump backup (copy the SQLite file yourself if it matters)"
    ;;
esac

echo "Running database migrations..."
"${FLASK[@]}" db upgrade
echo "Migrations completed successfully; now at:"
"${FLASK[@]}" db current
# The ECB rates bundled with the app (idempotent, a few seconds); converts expenses waiting for one.
"${FLASK[@]}" rates load
