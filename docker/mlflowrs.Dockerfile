# The mlflowrs binary alone, FROM scratch: `mlflowrs server` by default, or
# any command given to `docker run` (`models serve -m /model -h 0.0.0.0`).
# docker/mlflowrs-image.sh gathers rootfs/ (the binary, the shared libraries
# it loads, ONNX Runtime when given) and builds this file.
FROM scratch
COPY rootfs/ /
ENV HOME=/tmp SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 10001:10001
WORKDIR /tmp
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["/usr/local/bin/mlflowrs", "healthcheck", "--url", "http://127.0.0.1:5000/health"]
ENTRYPOINT ["/usr/local/bin/mlflowrs"]
CMD ["server", "--host", "0.0.0.0", "--port", "5000", "--backend-store-uri", "sqlite:////tmp/mlflow.db", "--artifacts-destination", "/tmp/mlartifacts"]
