# One image for web, workers and beat, built from the same pins as `make run`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    MODEL_PACKAGES_DIR=/opt/model-packages \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libpq5 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
# torch==2.13.0 is pinned in requirements.txt; in the image pip resolves the CUDA build, which
# the GPU inference worker uses and which falls back to the CPU elsewhere.
RUN pip install -r requirements.txt \
 && pip install --no-deps --target /opt/model-packages -r requirements-nodeps.txt \
 && pip check

COPY . .
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 platform && chown -R platform /app
USER platform
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn_conf.py", "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--workers", "4", "--threads", "8", "--timeout", "120"]
