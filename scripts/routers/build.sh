#!/usr/bin/env bash
# Builds the compiled peers of the read benchmark from crates.io into .run/routers/bin:
#   hive-router    the crate as published (`cargo install --locked hive-router`), with its
#                  `graphiql` feature: its default build script npm-installs the Laboratory UI
#                  (@graphql-hive/laboratory 0.3.1), which the npm registry here does not serve;
#                  the feature only swaps that page for a bundled GraphiQL, routing is untouched
#   apollo-router  the published apollo-router 2.17 crate with one native plugin that signs the
#                  caller's identity into the header our subgraphs trust (apollo-router-signed/:
#                  the stock binary cannot compute an HMAC), installed with --locked from a lock
#                  seeded with the published crate's own Cargo.lock
# Run by hand before `npm run bench` with the router targets; never by CI or the test suite,
# which do not need them. Idempotent: a router already installed at the wanted version is skipped.
#
#   scripts/routers/build.sh [hive-router] [apollo-router]     (default: both, Hive first)
#
# The machine's cores are shared, so cargo runs at the lowest priority with two jobs
# (ROUTER_BUILD_JOBS); a build log per router is kept in .run/routers/logs.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOT=.run/routers
HIVE_ROUTER_VERSION="${HIVE_ROUTER_VERSION:-0.3.10}"
APOLLO_ROUTER_VERSION="${APOLLO_ROUTER_VERSION:-2.17.0}"
JOBS="${ROUTER_BUILD_JOBS:-2}"
mkdir -p "$ROOT/logs"

# The toolchain each one's locked dependencies need: hive-router 0.3.10 locks ntex 4, which
# wants rustc 1.97; apollo-router 2.17 declares 1.95.
toolchain_of() {
  case "$1" in
    hive-router) echo "${HIVE_ROUTER_TOOLCHAIN:-1.97}" ;;
    apollo-router) echo "${APOLLO_ROUTER_TOOLCHAIN:-1.95.0}" ;;
    *) echo "unknown router $1 (hive-router or apollo-router)" >&2; exit 2 ;;
  esac
}

# cargo's own record of what it installed under this root, one "<crate> <version> (<source>)" key each.
installed() { grep -q "\"$1 $2 " "$ROOT/.crates2.json" 2>/dev/null; }

# apollo-router's build compiles protobuf definitions (tonic-prost-build wants protoc and the
# well-known types) and
# native dependencies (cmake, a C++ compiler); install what is missing from the distribution.
ensure_system_packages() {
  local missing=()
  command -v protoc >/dev/null || missing+=(protobuf-compiler)
  # protoc's well-known types (google/protobuf/timestamp.proto), imported by the router's telemetry protos.
  [ -f /usr/include/google/protobuf/timestamp.proto ] || missing+=(libprotobuf-dev)
  command -v cmake >/dev/null || missing+=(cmake)
  command -v c++ >/dev/null || missing+=(g++)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# "name version" of every package of a Cargo.lock, sorted.
lock_packages() { awk '/^name = /{n=$3} /^version = /{print n, $3}' "$1" | tr -d '"' | sort -u; }

ensure_toolchain() {
  grep -q "^$1" < <(rustup toolchain list) || rustup toolchain install "$1" --profile minimal
}

# Runs one `cargo install` at the lowest priority, its output in the router's log. Its build
# directory is kept (.run/routers/target/<name>) so a rerun after a failure resumes.
cargo_install() {
  local name="$1" toolchain="$2" started=$SECONDS log="$ROOT/logs/$1.log"
  shift 2
  echo "building $name with Rust $toolchain (log: $log)"
  if ! nice -n 19 cargo "+$toolchain" install --locked --root "$ROOT" --target-dir "$ROOT/target/$name" -j "$JOBS" "$@" >"$log" 2>&1; then
    echo "$name failed after $((SECONDS - started)) s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  echo "$name built in $((SECONDS - started)) s"
}

build_hive_router() {
  local toolchain
  toolchain="$(toolchain_of hive-router)"
  if installed hive-router "$HIVE_ROUTER_VERSION"; then
    echo "hive-router $HIVE_ROUTER_VERSION already built: $ROOT/bin/hive_router"
    return 0
  fi
  ensure_toolchain "$toolchain"
  cargo_install hive-router "$toolchain" hive-router --version "=$HIVE_ROUTER_VERSION" --features graphiql
}

build_apollo_router() {
  local toolchain project="$ROOT/src/apollo-router-signed" published
  toolchain="$(toolchain_of apollo-router)"
  if installed storefront-apollo-router 0.1.0 && cmp -s scripts/routers/apollo-router-signed/src/signed_identity.rs "$project/src/signed_identity.rs"; then
    echo "apollo-router $APOLLO_ROUTER_VERSION (with the signed-identity plugin) already built: $ROOT/bin/router"
    return 0
  fi
  ensure_toolchain "$toolchain"
  mkdir -p "$project"
  # A lock seeded for another version of the project's manifest is seeded again.
  cmp -s scripts/routers/apollo-router-signed/Cargo.toml "$project/Cargo.toml" || rm -f "$project/Cargo.lock"
  cp -r scripts/routers/apollo-router-signed/Cargo.toml scripts/routers/apollo-router-signed/src "$project/"
  if [ ! -f "$project/Cargo.lock" ]; then
    # `cargo info` downloads the published crate into cargo's cache; its Cargo.lock pins every
    # dependency the way Apollo released it. Cargo then only adds this project's own entry.
    cargo "+$toolchain" info "apollo-router@$APOLLO_ROUTER_VERSION" >/dev/null 2>&1
    published="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"apollo-router-$APOLLO_ROUTER_VERSION.crate" | sed -n 1p)"
    tar -xzOf "$published" "apollo-router-$APOLLO_ROUTER_VERSION/Cargo.lock" >"$project/Cargo.lock.published"
    cp "$project/Cargo.lock.published" "$project/Cargo.lock"
    (cd "$project" && cargo "+$toolchain" fetch >/dev/null 2>&1)
    # Every package but the project itself must be at a version the published lock names.
    local extra
    extra="$(comm -13 <(lock_packages "$project/Cargo.lock.published") <(lock_packages "$project/Cargo.lock") | grep -v '^storefront-apollo-router ' || true)"
    if [ -n "$extra" ]; then
      echo "the lock for apollo-router departs from the published one: $extra" >&2
      return 1
    fi
  fi
  cargo_install apollo-router "$toolchain" --path "$project"
}

command -v rustup >/dev/null || { echo "rustup not found: install Rust with rustup first" >&2; exit 1; }
ensure_system_packages
status=0
for router in ${@:-hive-router apollo-router}; do
  case "$router" in
    hive-router) build_hive_router || status=1 ;;
    apollo-router) build_apollo_router || status=1 ;;
    *) echo "unknown router $router (hive-router or apollo-router)" >&2; status=2 ;;
  esac
done
exit $status
