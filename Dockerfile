# Build a wheel in one stage, install it into a slim runtime as a non-root user in the next.
# The runtime has the service's dependencies only: no `dev` (tests) or `embedded` (PostgreSQL
# as a wheel) extra; it needs DATABASE_URL.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 \
    MAX_HEADER_BYTES=16384 HEADER_TIMEOUT_SECONDS=5 KEEPALIVE_TIMEOUT_SECONDS=5 \
    MAX_CONNECTIONS_PER_WORKER=2048
RUN useradd --create-home --uid 10001 app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER app
WORKDIR /home/app
EXPOSE 8000
# Liveness, as a Kubernetes livenessProbe would ask (docker-compose.yml adds readiness).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=2)"
CMD ["payments-service", "serve"]
