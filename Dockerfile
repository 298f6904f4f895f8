# slo-exporter: a small image that runs as an unprivileged user.
#
# No config is baked in: mount yours at /etc/slo-exporter/slos.yaml (or pass `run -c PATH`).
# The listen address is SLO_EXPORTER_LISTEN_ADDRESS, read by `run` and by the health
# check alike: change the port with `-e SLO_EXPORTER_LISTEN_ADDRESS=:9100`. The process
# needs an open-file limit (`ulimit -n`, Docker's `--ulimit nofile=`) of at least 1184
# for its default 512 connections; with less it lowers the cap itself.
FROM python:3.11-slim AS build
WORKDIR /src
# The dependencies exactly as locked, each file checked against its hash
# (deploy/lock-requirements.sh regenerates the lock), then the package without resolving.
COPY requirements.lock ./
RUN pip install --no-cache-dir --prefix=/install --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11-slim
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --no-create-home slo \
 && mkdir -p /var/lib/slo-exporter && chown 10001 /var/lib/slo-exporter
# The history store `run` keeps by default (SLO_EXPORTER_DATA_DIR; `run --no-store` keeps
# none). Mount a volume here so a restart resumes from it instead of filling again.
VOLUME /var/lib/slo-exporter
USER 10001
ENV SLO_EXPORTER_LISTEN_ADDRESS=:9099
ENV SLO_EXPORTER_DATA_DIR=/var/lib/slo-exporter
EXPOSE 9099
# `slo-exporter healthcheck`: the standard library only, unless SLO_EXPORTER_WEB_CONFIG_FILE
# names a web config (then it reads it with PyYAML and speaks TLS / basic auth as `run` does;
# the user and password come from SLO_EXPORTER_HEALTHCHECK_USER and _PASSWORD(_FILE)).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-m", "exporter.healthcheck"]
ENTRYPOINT ["slo-exporter", "--log-format", "json"]
CMD ["run", "-c", "/etc/slo-exporter/slos.yaml"]
