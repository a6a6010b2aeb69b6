# csp-bot: the wheel is built in one stage and installed, alone, in a slim final stage that
# runs as an unprivileged user. `docker build -t csp-bot .`; see docs/deploy.md.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
RUN pip install --no-cache-dir "build>=1.2,<2"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY store ./store
COPY playground ./playground
RUN python -m build --wheel --outdir /dist

FROM ${PYTHON_IMAGE}
# JSON log lines for the container runtime; the HTTP server on all interfaces, port 3000.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home csp-bot
COPY --from=build /dist/*.whl /tmp/wheels/
RUN pip install --no-cache-dir /tmp/wheels/*.whl && rm -rf /tmp/wheels
USER csp-bot
WORKDIR /app
EXPOSE 3000
# The slim image has no curl: the standard library asks /healthz (urlopen raises on non-2xx).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
# `docker run IMAGE` serves; `docker run IMAGE db upgrade` (or check, sync…) runs another command.
ENTRYPOINT ["csp-bot"]
CMD ["serve"]
