#!/bin/sh
# Builds hooknormd as the container image ships it (see Dockerfile): a static binary, without cgo,
# local paths or debug symbols, into the directory given. .ci/run builds it the same way and checks
# that it is static, since no container runtime works on the machines CI runs on.
# GOOS and GOARCH pass through, for images of another platform.
set -eu
out=${1:?usage: scripts/build-static.sh OUT_DIR}
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out/hooknormd" ./server/cmd/hooknormd
