# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
RUN apt-get update \
    && apt-get install -y --no-install-recommends unixodbc gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
COPY plugins plugins
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build ENCRYPTION_KEYS=$(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
    python manage.py collectstatic --no-input --verbosity 0
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
# waitress (sharespine/webserver.py): slow or idle clients cost a socket, not a worker, so they
# cannot hold up other visitors (gunicorn's sync workers could be tied up by three of them).
# Threads for views: WEB_THREADS (8).
CMD ["python", "-m", "sharespine.webserver", "--host", "0.0.0.0", "--port", "8000"]
