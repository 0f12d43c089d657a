# hccdash: the dashboard as a container. Installs the same things as .ci/run
# (Debian's chromium and DejaVu fonts for server-side PNG export; requirements.txt).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BROWSER_PATH=/usr/bin/chromium

# Debian's chromium: kaleido exports PNG/SVG/PDF through it; it is never downloaded at run time.
# LibreOffice Writer (no GUI) converts the DOCX report to PDF (soffice --headless).
# default-jre-headless: Java for HCCDASH_ENGINE=spark (the [spark] extra, PySpark): Debian 12
# gives OpenJDK 17, Debian 13 OpenJDK 21; PySpark 4 runs on both.
# Versions follow the Debian release of the base image, so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
       libreoffice-writer-nogui fonts-liberation \
       default-jre-headless \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

RUN useradd --create-home --uid 10001 hccdash \
    && chown -R hccdash:hccdash /app
USER 10001

# A server-side cohort: mount it and set HCCDASH_DATA (compose.yaml shows how); sign-in: mount
# a secrets.toml with an [auth] section at /app/.streamlit/secrets.toml (never baked in).
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
