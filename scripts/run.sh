#!/usr/bin/env bash
# `make run`: migrate, seed the demo tenant, start the web server (and, with REDIS_URL, the
# workers beside it), print where everything is. Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
export HF_HUB_OFFLINE=1
# Audit anchors outside the database: a file:// store under var/ (production: a WORM volume or S3).
mkdir -p var/audit-anchors
export AUDIT_ANCHOR_URL=${AUDIT_ANCHOR_URL:-file://$PWD/var/audit-anchors}

$BIN/python manage.py migrate --noinput
# Converts the GGUF chat model once (about half a minute the first time, nothing afterwards).
$BIN/python manage.py prepare_models
seed=$($BIN/python manage.py seed_demo)
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
api_key=$(echo "$seed" | sed -n 's/^DEMO_API_KEY=//p')

pids=()
$BIN/python -m apps.customer_service.demo.order_api --port "${CUSTOMER_SERVICE_DEMO_ORDER_API_PORT:-8765}" &
order_api_pid=$!
cleanup() { kill "$order_api_pid" 2>/dev/null || true; for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  mode="PostgreSQL/Redis with separate workers (DATABASE_URL=${DATABASE_URL:-sqlite}, REDIS_URL=$REDIS_URL)"
  mkdir -p var/log
  $BIN/celery -A config worker -Q default -n "default@%h" --loglevel INFO >var/log/worker-default.log 2>&1 &
  pids+=($!)
  # One inference worker on every model queue (the pools of docker-compose.yml, on one machine):
  # threads feed one batcher per model; models load in it.
  $BIN/celery -A config worker -Q inference.chat,inference.embed,inference.classify,training \
    -n "inference@%h" -P threads -c 64 --loglevel INFO \
    >var/log/worker-inference.log 2>&1 &
  pids+=($!)
  $BIN/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule >var/log/beat.log 2>&1 &
  pids+=($!)
else
  mode="zero-setup: SQLite (db.sqlite3) and in-process tasks; set DATABASE_URL and REDIS_URL for PostgreSQL/Redis"
fi

# gthread workers: a streamed response (server-sent events) holds a thread, not the process.
# config/gunicorn_conf.py: an access log without query strings (they carry personal data).
$BIN/gunicorn config.wsgi:application -c config/gunicorn_conf.py --bind "$HOST:$PORT" --worker-class gthread \
  --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-8}" --timeout 120 \
  --access-logfile - &
pids+=($!)

for _ in $(seq 1 60); do
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

cat <<MSG

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
 Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
