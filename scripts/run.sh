#!/usr/bin/env bash
# `make run`: migrate, seed the demo tenant, start the web server (and, with REDIS_URL, the
# workers beside it), print where everything is. Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-2}
WEB_THREADS=${WEB_THREADS:-8}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
export HF_HUB_OFFLINE=1
# What a run keeps between runs: the demo API key, audit anchors, worker logs (RUN_VAR: a test's
# own folder, so that it leaves a developer's var/ alone).
export RUN_VAR=${RUN_VAR:-$PWD/var}
# Audit anchors outside the database: a file:// store under var/ (production: a WORM volume or S3).
mkdir -p "$RUN_VAR/audit-anchors"
export AUDIT_ANCHOR_URL=${AUDIT_ANCHOR_URL:-file://$RUN_VAR/audit-anchors}

# PostgreSQL: create the database DATABASE_URL names if it is missing (or say how, and stop).
$BIN/python scripts/ensure_database.py
$BIN/python manage.py migrate --noinput
# Converts the GGUF chat model once (about half a minute the first time, nothing afterwards).
$BIN/python manage.py prepare_models
seed=$($BIN/python manage.py seed_demo --key-file "$RUN_VAR/demo_api_key")
# RUN_DEMO=accounts: the demo tenant, its users and key only, without the verticals' demo data
# (a start in seconds instead of minutes; the run test uses it).
risk_seed="(RUN_DEMO=accounts: no demo data of the verticals)"
if [ "${RUN_DEMO:-full}" != accounts ]; then
  # The three seed graphs (shop, medical, fraud) into the demo tenant; idempotent. Node embeddings
  # are computed by a job (in-process without REDIS_URL, by the default worker with it).
  $BIN/python manage.py knowledge_seed --tenant demo
  # Financial risk: German credit with a trained champion model (about 20 s the first time),
  # synthetic transactions and their fraud rings; idempotent.
  risk_seed=$($BIN/python manage.py risk_seed_demo --tenant demo)
  # Customer service: demo intents (train + held-out), demo orders, shop-graph embeddings and a
  # trained intent model (about 15 s the first time; model calls in-process); idempotent.
  $BIN/python manage.py customer_service_seed --tenant demo >/dev/null
  # The second demo shop (a bookshop, tenant "books") and its own order API, which its HTTP
  # connector calls (port CUSTOMER_SERVICE_DEMO_ORDER_API_PORT, default 8765).
  $BIN/python manage.py customer_service_seed --tenant books --profile books --create "Inkwell Books" >/dev/null
fi
api_key=$(echo "$seed" | sed -n 's/^DEMO_API_KEY=//p')

if [ -n "${REDIS_URL:-}" ]; then
  mode="PostgreSQL/Redis with separate workers (DATABASE_URL=${DATABASE_URL:-sqlite}, REDIS_URL=$REDIS_URL)"
else
  mode="zero-setup: SQLite (db.sqlite3) and in-process tasks; set DATABASE_URL and REDIS_URL for PostgreSQL/Redis"
fi

RUN_BANNER=$(cat <<MSG

================================================================================
 Vertical AI platform is running — $mode
   API docs (Swagger UI)  http://$HOST:$PORT/api/docs/
   API docs (Redoc)       http://$HOST:$PORT/api/redoc/
   OpenAPI schema         http://$HOST:$PORT/api/schema/
   Web admin              http://$HOST:$PORT/admin/
   Knowledge graphs       http://$HOST:$PORT/admin/knowledge/graph/  (each: "Draw neighbourhood")
   Readiness / liveness   http://$HOST:$PORT/readyz   http://$HOST:$PORT/healthz
   Prometheus metrics     http://$HOST:$PORT/metrics

 Demo logins (tenant "demo"):
$(echo "$seed" | grep '^  ')

 Try the API with the demo admin key:
   curl -H "Authorization: Api-Key $api_key" http://$HOST:$PORT/api/v1/accounts/me/
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" \
        -d '{"messages": [{"role": "user", "content": "How do I return a parcel?"}]}' \
        http://$HOST:$PORT/api/v1/inference/chat
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" \
        -d '{"texts": ["cancel my order"]}' http://$HOST:$PORT/api/v1/inference/embed
   $risk_seed
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" \
        -d @apps/financial_risk/demo/applicant.json http://$HOST:$PORT/api/v1/risk/decisions/
   (the answer's waterfall_url is the decision's SHAP waterfall picture)
   Customer-service chat   http://$HOST:$PORT/customer-service/chat/  (log in as demo-agent)
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" -d '{}' \
        http://$HOST:$PORT/api/v1/customer-service/conversations/      (answers its "id")
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" \
        -d '{"text": "Is the StormShell jacket waterproof?"}' \
        http://$HOST:$PORT/api/v1/customer-service/conversations/<id>/messages/
   Medical records: a demo note -> de-identified, structured, validated FHIR R4B Bundle
   curl -H "Authorization: Api-Key $api_key" -H "Content-Type: application/json" \
        -d @apps/medical_records/demo/note.json http://$HOST:$PORT/api/v1/medical/notes/fhir/
================================================================================
MSG
)
export RUN_BANNER HOST PORT WEB_WORKERS WEB_THREADS
# The default models, warmed before the banner in the processes that serve them: each web worker
# (in-process tasks) or the inference worker (MODELS_RUNTIME_WARM, with REDIS_URL).
export WEB_WARM_MODELS=${WEB_WARM_MODELS:-chat,embed} WEB_WARM_MARKERS=$RUN_VAR/run/warm
export MODELS_RUNTIME_WARM=${MODELS_RUNTIME_WARM:-$WEB_WARM_MODELS}
# The order API, the web server and, with REDIS_URL, the workers and beat; the banner once
# /readyz answers 200 and the models are warm; Ctrl-C stops them all (scripts/serve.py).
exec $BIN/python scripts/serve.py
