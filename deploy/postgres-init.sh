#!/bin/bash
# First start of the Postgres container: Roster's own role, owner of its
# database but not a superuser (a superuser is never bound by row-level
# security), with the password from ROSTER_DB_PASSWORD (deploy/postgres.env).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$ROSTER_DB_PASSWORD" --set=dbname="$POSTGRES_DB" <<'SQL'
CREATE ROLE roster LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER DATABASE :"dbname" OWNER TO roster;
ALTER SCHEMA public OWNER TO roster;
SQL
