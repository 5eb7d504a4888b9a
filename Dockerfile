# Resettle production image.
#
# Stage 1 builds the front end (GOV.UK + MoJ Frontend compiled with Arial, htmx) into
# static/dist. Stage 2 is the Python application: gunicorn by default; the same image runs
# the Celery worker, Celery beat and migrations (see docker-compose.yml).

# ---- Stage 1: front-end assets -------------------------------------------------------------
FROM node:20 AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/src ./static/src
RUN node static/src/build.mjs

# ---- Stage 2: the application --------------------------------------------------------------
# Debian 12 (bookworm): its postgresql-client is 15, the server's major version, which
# `make backup` / `make restore` need (pg_dump refuses to dump a newer server).
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Libraries WeasyPrint loads at run time (Pango, HarfBuzz and its subsetter, fontconfig via
# pangoft2) and the Liberation fonts (metric-compatible with Arial) for the PDF reports;
# pg_dump and pg_restore for backups.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-liberation \
        postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# Python dependencies, exactly as pinned (and hashed) in requirements.lock.
RUN python -m venv "$VIRTUAL_ENV"
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock

# An unprivileged account to run as. The code stays owned by root (read-only to the app);
# only /app/private, where report files are written, belongs to the app user. Creating it
# here means a fresh named volume mounted on it inherits this ownership.
RUN groupadd --system --gid 10001 resettle \
    && useradd --system --uid 10001 --gid resettle --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin resettle

WORKDIR /app
COPY . /app
COPY --from=assets /build/static/dist /app/static/dist

# Collect static files into /app/staticfiles. This must run with RESETTLE_ENV=production so
# that WhiteNoise's compressed manifest storage (production only) writes staticfiles.json;
# without it every page would fail at run time. Production settings refuse to load without
# these four variables, so they are given dummy build-time values here, for this command
# only. Nothing connects to the database or Redis during collectstatic.
RUN RESETTLE_ENV=production \
    SECRET_KEY=build-time-only-not-a-secret-used-for-collectstatic-alone-0123456789 \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/private \
    && chown resettle:resettle /app/private \
    && chmod 0750 /app/private

# Fail safe: without configuration the image refuses to start rather than running in the
# development mode (DEBUG on, SQLite). Real values come from the environment (.env).
ENV RESETTLE_ENV=production \
    DJANGO_SETTINGS_MODULE=resettle.settings

USER resettle:resettle
EXPOSE 8000

# /healthz checks the database and Redis. Django checks the Host header against
# ALLOWED_HOSTS, so the probe sends the first allowed host name; it bypasses any HTTP proxy
# settings. Any answer other than 200 (or no answer in 4 seconds) counts as a failure.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.build_opener(u.ProxyHandler({})).open(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["gunicorn", "resettle.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-tmp-dir", "/dev/shm"]
