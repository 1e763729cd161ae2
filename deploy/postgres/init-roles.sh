#!/bin/sh
# First start of the production PostgreSQL (docker-entrypoint-initdb.d): one login role per
# service, owning its own database (statex_<service>) and nothing else. The services find their
# database already there, so they need no CREATEDB right. Kubernetes: run the same statements
# once on the managed server (docs/deploy.md).
set -eu
create() { # role database password
  psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
    -v role="$1" -v db="$2" -v pw="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}
create statex_submission statex_submission "$SUBMISSION_DB_PASSWORD"
create statex_ai_orchestrator statex_ai_orchestrator "$AI_ORCHESTRATOR_DB_PASSWORD"
create statex_notification statex_notification "$NOTIFICATION_DB_PASSWORD"
create statex_user_portal statex_user_portal "$USER_PORTAL_DB_PASSWORD"
create statex_logging statex_logging "$LOGGING_DB_PASSWORD"
create statex_content statex_content "$CONTENT_DB_PASSWORD"

# The Prometheus exporter reads statistics only (pg_monitor), never the data.
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres -v pw="$EXPORTER_DB_PASSWORD" <<'SQL'
CREATE ROLE statex_monitor LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT pg_monitor TO statex_monitor;
SQL
