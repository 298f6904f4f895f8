# slo-exporter: a small image that runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
COPY --from=build /install /usr/local
COPY config/example.yaml /etc/slo-exporter/slos.yaml
RUN useradd --system --uid 10001 --no-create-home slo \
 && mkdir -p /var/lib/slo-exporter && chown 10001 /var/lib/slo-exporter
# The incremental history store, when run with --data-dir /var/lib/slo-exporter.
VOLUME /var/lib/slo-exporter
USER 10001
EXPOSE 9099
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9099/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["slo-exporter", "--log-format", "json"]
CMD ["run", "-c", "/etc/slo-exporter/slos.yaml", "--listen", "0.0.0.0:9099"]
