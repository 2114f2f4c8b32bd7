# syntax=docker/dockerfile:1
# One image for every NKDash service: Celery worker and beat, the Dash app (gunicorn), Flower and the demo Odoo.
# docker-compose.yml picks the command and the health check of each service; no secrets are baked in (they come
# from `.env` at run time, which .dockerignore keeps out of the build context).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_LAKE_ROOT=/data-lake

# The unprivileged app user. /data-lake is created owned by it: a named volume first mounted there takes that owner.
ARG APP_UID=10001
ARG APP_GID=10001
RUN groupadd --system --gid "${APP_GID}" nkdash \
 && useradd --system --uid "${APP_UID}" --gid nkdash --create-home --home-dir /home/nkdash \
      --shell /usr/sbin/nologin nkdash \
 && install -d -o nkdash -g nkdash /data-lake

WORKDIR /app

# Dependencies first, pinned by the lock file, so a source change does not reinstall them.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(deps))" > /tmp/requirements.txt \
 && pip install -c requirements.lock -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project itself (the source stays in /app, which is the working directory of every service).
COPY . .
RUN pip install -c requirements.lock . \
 && rm -rf build ./*.egg-info

USER ${APP_UID}:${APP_GID}

EXPOSE 8050 5555 8069
CMD ["gunicorn", "app:server", "--bind", "0.0.0.0:8050"]
