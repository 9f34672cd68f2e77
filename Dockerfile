# Production image: one static-ish binary on a slim base.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# The admin app's toolchain (README, "The admin app"); wasm-bindgen-cli must
# match the wasm-bindgen that web/Cargo.lock pins.
RUN apt-get update && apt-get install -y --no-install-recommends npm \
    && npm install -g binaryen@132 \
    && rustup target add wasm32-unknown-unknown \
    && cargo install --locked trunk --version 0.21.14 \
    && cargo install wasm-bindgen-cli --version 0.2.130
COPY . .
RUN trunk build --release && cargo build --release --locked -p roster

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
