# Image of the rolesmith controller.
#
#   docker build -t rolesmith:0.1.0 .
#   docker run --rm rolesmith:0.1.0 --help
#
# The binary links glibc and libgcc_s dynamically (aws-lc-rs is C code built into it), so the
# runtime image is distroless "cc" of the same Debian release as the builder, not "static".

# ---- build ------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src

# Dependencies first, against placeholder sources, so that this layer is rebuilt only when
# Cargo.toml or Cargo.lock change. Then drop what the placeholders produced for this crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin rolesmith \
 && rm -rf src target/release/rolesmith target/release/rolesmith.d \
      target/release/deps/rolesmith-* target/release/deps/librolesmith-* \
      target/release/.fingerprint/rolesmith-*

# The crate itself. Touch the sources so cargo never takes them for older than the placeholders.
COPY src ./src
RUN find src -type f -exec touch {} + \
 && cargo build --release --locked --bin rolesmith \
 && ./target/release/rolesmith --version

# ---- run --------------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="rolesmith" \
      org.opencontainers.image.description="Kubernetes controller that turns ServiceRole resources into AWS IAM roles" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /src/target/release/rolesmith /rolesmith
# The image's "nonroot" user; the Helm chart runs the pod as the same uid.
USER 65532:65532
ENTRYPOINT ["/rolesmith"]
CMD ["controller"]
