# The bot's web service (and, unless turned off, its reminder scheduler) for Azure or any
# container host. Configuration comes from the environment: see the README's "Deployment".
#   docker build -t lederavtale .
#   docker run -p 3978:3978 -e MicrosoftAppId=... -e MicrosoftAppPassword=... \
#     -e MicrosoftAppType=SingleTenant -e MicrosoftAppTenantId=... \
#     -e DATABASE_URL=postgresql://user:password@host/lederavtale lederavtale
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The fonts of the document copies (documents/pdf.py uses only these, for the same file from the same data).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY agreement ./agreement
COPY lederavtale ./lederavtale
COPY bot ./bot
COPY dialogs ./dialogs
COPY documents ./documents
COPY scheduler ./scheduler
COPY storage ./storage
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lederavtale \
    && mkdir -p /app/var \
    && chown lederavtale /app/var

USER lederavtale
ENV LEDERAVTALE_PORT=3978
EXPOSE 3978

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LEDERAVTALE_PORT', '3978') + '/healthz', timeout=4)"]

# Without MicrosoftAppId the bot refuses to leave 127.0.0.1 (local mode): set the Azure Bot's
# settings for a real deployment. SIGTERM (docker stop) shuts it down cleanly.
CMD ["lederavtale", "serve", "--host", "0.0.0.0"]
