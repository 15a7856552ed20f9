# syntax=docker/dockerfile:1
# hooknormd as a container image: the static binary scripts/build-static.sh builds (as .ci/run
# builds and checks it), on distroless static, run as an unprivileged user. docs/deploy.md tells
# how to run it, alone or as compose.yaml's cluster.
#
#   docker build -t hooknorm/hooknormd .
#
# By default it listens on every interface, so it refuses to start until it is told who may call
# it: a tokens file (HOOKNORM_TOKENS_FILE) or HOOKNORM_ALLOW_ANONYMOUS=true, and the providers'
# secrets (HOOKNORM_CLICKFUNNELS_SECRET, HOOKNORM_WEBFLOW_SECRET) or HOOKNORM_ALLOW_UNSIGNED=true.

# The Go of go.mod's go line (a test keeps them equal).
ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH scripts/build-static.sh /out && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hooknormd /usr/local/bin/hooknormd
# The embedded log's directory, owned by the image's user (65532, "nonroot"), so a new volume
# mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV HOOKNORM_HTTP_ADDR=0.0.0.0:8080
ENV HOOKNORM_GRPC_ADDR=0.0.0.0:50051
ENV HOOKNORM_DATA_DIR=/data
ENV HOOKNORM_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080 50051
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/hooknormd"]
