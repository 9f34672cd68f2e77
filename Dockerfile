# Production image: one static-ish binary on a slim base.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The same task a developer runs: installs the admin app's toolchain (wasm32
# target, trunk, the wasm-bindgen-cli web/Cargo.lock pins, wasm-opt through
# Debian's npm), builds the app, then the release binary that embeds it.
RUN cargo xtask build

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/roster --create-home roster
COPY --from=build /src/target/release/roster /usr/local/bin/roster
USER roster
WORKDIR /var/lib/roster
ENV ROSTER_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["roster"]
CMD ["serve"]
