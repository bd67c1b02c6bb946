# The web, worker and beat image of docker-compose.yml (one image, three commands).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DIBAO_VAR_DIR=/var/lib/dibao

# gettext for compilemessages; curl for the health check; postgresql-client (15, as the compose database)
# for `manage.py backup` / `restore` (pg_dump, pg_restore).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl postgresql-client libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic and compilemessages need settings that import; these build-time values never
# reach a running container (docker-compose.yml supplies the real ones).
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-xx \
    DIBAO_FIELD_KEY=YnVpbGQtb25seS1ub3QtYS1rZXktYnVpbGQtb25seS0= \
    DIBAO_BLIND_INDEX_KEY=YnVpbGQtb25seS1ub3QtYS1rZXktYnVpbGQtb25seS0= \
    python manage.py collectstatic --noinput -v 0 \
    && python manage.py compilemessages --ignore=var -v 0 \
    && useradd --system --home /app dibao \
    && mkdir -p /var/lib/dibao /backups /etc/dibao/certs \
    && chown -R dibao /var/lib/dibao /backups /etc/dibao/certs

USER dibao
EXPOSE 8000
CMD ["gunicorn", "dibao.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
