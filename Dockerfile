# syntax=docker/dockerfile:1
#
# Facteur as a container image: one static binary (musl) on an empty base image. Templates,
# static files, translations and migrations are compiled into the binary; TLS roots too.
#
#   docker build -t facteur .
#   docker run -d --name facteur -p 8080:8080 -v facteur-data:/data \
#       -e FACTEUR_IMAP_HOST=imap.example.org -e FACTEUR_SMTP_HOST=smtp.example.org facteur
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts. The process runs as
# uid/gid 65532 (no /etc/passwd needed); /data, its only writable state, is a volume.

ARG RUST_VERSION=1.95

# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-alpine AS build

# The host target is x86_64/aarch64-unknown-linux-musl, whose binaries are statically linked.
# ring and the bundled SQLite compile C (and ring's pregenerated assembly) with the image's gcc;
# musl-dev brings the headers and the static libc. No perl or make is needed for crates.io
# releases of ring. curl serves the smoke check below.
RUN apk add --no-cache musl-dev curl

WORKDIR /src
# .dockerignore keeps the context to the sources the build reads.
COPY . .

# The cargo registry and the target directory persist between builds in BuildKit cache mounts,
# so a source change recompiles Facteur only. The script builds, copies the binary out of the
# cache to /out, fails unless it is statically linked, then runs it from an empty directory
# (health check, login page, stylesheet, graceful stop).
RUN --mount=type=cache,id=facteur-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=facteur-target,target=/src/target \
    REQUIRE_STATIC=1 sh scripts/release-build.sh /out

# The rest of the root filesystem: /data for the database, secret key and uploads (a new named
# volume takes this owner and mode), and /tmp for SQLite's temporary files.
RUN mkdir -p /rootfs/data /rootfs/tmp \
    && chmod 0700 /rootfs/data \
    && chmod 1777 /rootfs/tmp

# ---------------------------------------------------------------------------------------------
FROM scratch

LABEL org.opencontainers.image.title="Facteur" \
      org.opencontainers.image.description="Self-hosted webmail: one IMAP session per user, server-rendered pages, SMTP sending" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

COPY --from=build /out/facteur /facteur
COPY --from=build --chown=65532:65532 /rootfs/ /

# Every setting is a FACTEUR_* variable (see config.example.toml). NO_COLOR: plain text logs
# (FACTEUR_LOG_FORMAT=json for structured ones).
ENV FACTEUR_DATA_DIR=/data \
    FACTEUR_LISTEN=0.0.0.0:8080 \
    NO_COLOR=1

USER 65532:65532

# Fails the build if the binary cannot start on an empty image (e.g. if it were dynamically linked).
RUN ["/facteur", "--version"]

VOLUME ["/data"]
EXPOSE 8080

# GET /healthz through loopback on the FACTEUR_LISTEN port; no shell or curl in the image.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 \
    CMD ["/facteur", "healthcheck"]

ENTRYPOINT ["/facteur"]
CMD ["serve"]
