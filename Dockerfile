# syntax=docker/dockerfile:1
#
# Rapport: one static binary on distroless, run as a non-root user.
#
#   docker build -t rapport --build-arg VERSION=$(git describe --tags --always) .
#   docker run -v rapport:/var/lib/rapport -v $PWD/rapport.yml:/etc/rapport/rapport.yml:ro -p 9464:9464 rapport
#
# The build command below is run verbatim by cmd/rapport's tests, which
# check that the binary is static.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /rapport ./cmd/rapport
# The state directory, owned by the runtime user, so that a new volume
# mounted there is writable.
RUN install -d -o 65532 -g 65532 -m 0750 /state

# distroless/static: CA certificates, /etc/passwd with "nonroot" (65532),
# no shell. Time zones are embedded in the binary (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=devel
LABEL org.opencontainers.image.title="Rapport" \
      org.opencontainers.image.description="Keeps manager-report one-on-ones alive: reads calendars, detects drift, nudges managers, exports metrics." \
      org.opencontainers.image.url="https://github.com/rapport-dev/rapport" \
      org.opencontainers.image.source="https://github.com/rapport-dev/rapport" \
      org.opencontainers.image.documentation="https://github.com/rapport-dev/rapport#readme" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /rapport /usr/local/bin/rapport
COPY --from=build --chown=65532:65532 /state /var/lib/rapport
USER 65532:65532
WORKDIR /var/lib/rapport
VOLUME ["/var/lib/rapport"]
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/rapport", "healthcheck", "--url", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/local/bin/rapport"]
CMD ["run", "--config", "/etc/rapport/rapport.yml"]
