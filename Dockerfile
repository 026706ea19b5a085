FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NOTIFY_VAR_DIR=/var/lib/notify
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY notify_console ./notify_console
COPY audit ./audit
COPY audiences ./audiences
COPY campaigns ./campaigns
COPY channels ./channels
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --uid 1000 --home /app notify && mkdir -p /var/lib/notify && chown notify /var/lib/notify \
    && DEBUG=1 python manage.py collectstatic --noinput
USER notify
EXPOSE 8000
CMD ["gunicorn", "notify_console.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
