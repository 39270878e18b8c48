#!/usr/bin/env bash
# Throughput of 1, 2 and 3 `shot worker` processes sharing one RabbitMQ queue (docs/scaling.md).
#
#   bench/scaleout.sh                             # N=120 captures per run, 1 2 3 workers, 2 tabs each
#   BENCH_N=40 BENCH_WORKERS="1 2" bench/scaleout.sh   # quick
#
# Environment:
#   BENCH_N        captures per run (the bench corpus cycled to N)                    [120]
#   BENCH_WORKERS  worker counts to measure                                            ["1 2 3"]
#   BENCH_TABS     --tabs of each worker                                               [2]
#   BENCH_STORE    redis (a private redis-server) or sqlite (a shared file)            [redis]
#   BENCH_SHARED   the shared corpus folder                                            [<repo>/../shared/bench]
#   BENCH_RUN_TIMEOUT  limit per run, seconds                                          [600]
#   SHOT           the shot binary                                                     [<repo>/build/shot]
#
# One `shot api` takes the job; W workers (each its own Chromium) consume it from a private
# rabbitmq-server. The time is from POST /v1/jobs to the job's last item, with every worker ready
# (/readyz: browser up) before the job is sent. Prints a JSON line per run (also appended to
# bench/results/scaleout-<UTC stamp>.jsonl) and a table. Loopback only; every process we start is
# stopped by PID (or process group) on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=$(cd "${BENCH_SHARED:-$REPO/../shared/bench}" && pwd)
SHOT=${SHOT:-$REPO/build/shot}
N=${BENCH_N:-120}
WORKERS=${BENCH_WORKERS:-1 2 3}
TABS=${BENCH_TABS:-2}
STORE_KIND=${BENCH_STORE:-redis}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}

[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_N must be a positive integer" >&2; exit 2; }
[[ $TABS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_TABS must be a positive integer" >&2; exit 2; }
for w in $WORKERS; do [[ $w =~ ^[1-9][0-9]*$ ]] || { echo "bad worker count: $w" >&2; exit 2; }; done
case $STORE_KIND in redis|sqlite) ;; *) echo "BENCH_STORE: redis or sqlite" >&2; exit 2;; esac
[[ -x $SHOT ]] || { echo "no shot binary at $SHOT" >&2; exit 2; }
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || { echo "rabbitmq-server is not installed (scripts/deps.sh)" >&2; exit 2; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$HERE/results"
RESULTS=$HERE/results/scaleout-$STAMP.jsonl
: > "$RESULTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/shot-scaleout.XXXXXX")
chmod 755 "$WORK"
PIDS=()        # processes we started (each leads its own process group)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# start NAME CMD...: in its own process group, output to $WORK/NAME.log; sets STARTED_PID.
start() {
  local name=$1; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}
stop_group() {  # TERM to the group, then KILL after 20 s
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? p
  for p in "${PIDS[@]}"; do stop_group "$p"; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {  # wait_http URL SECONDS: until it answers 200
  local url=$1 limit=$2 i
  for i in $(seq 1 $((limit * 10))); do
    if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# --- corpus on loopback (as bench/run.sh) -----------------------------------------------------------
python3 "$SHARED/pages/gen.py" "$WORK/corpus" >/dev/null
PAGES_PORT=$(free_port)
start pages timeout 7200 "$SHARED/pages/serve.sh" "$WORK/corpus" "$PAGES_PORT" 7000
wait_http "http://127.0.0.1:$PAGES_PORT/paths.txt" 10 || { echo "page server did not start" >&2; exit 1; }

# --- RabbitMQ: a private node (as tests/support/rabbit_server.cpp) ----------------------------------
AMQP_PORT=$(free_port); DIST_PORT=$(free_port)
RMQ=$WORK/rabbitmq; mkdir -p "$RMQ"; echo '[].' > "$RMQ/enabled_plugins"
RUN_AS=()
if [[ $(id -u) == 0 ]]; then chown -R rabbitmq:rabbitmq "$RMQ"; RUN_AS=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups --); fi
start rabbitmq env HOME="$RMQ" RABBITMQ_NODENAME="shot-bench-$AMQP_PORT@localhost" \
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$DIST_PORT" \
  RABBITMQ_MNESIA_BASE="$RMQ/mnesia" RABBITMQ_LOG_BASE="$RMQ/log" \
  RABBITMQ_FEATURE_FLAGS_FILE="$RMQ/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ/enabled_plugins" \
  RABBITMQ_PLUGINS_EXPAND_DIR="$RMQ/plugins" RABBITMQ_PID_FILE="$RMQ/pid" \
  RABBITMQ_CONF_ENV_FILE="$RMQ/env.conf" RABBITMQ_CONFIG_FILE="$RMQ/rabbitmq" \
  "${RUN_AS[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
for _ in $(seq 1 600); do
  python3 - "$AMQP_PORT" <<'EOF' 2>/dev/null && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"AMQP\x00\x00\x09\x01")
assert s.recv(7)[:1] == b"\x01"
EOF
  sleep 0.1
done
QUEUE="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"

# --- job store and pictures shared by all nodes ------------------------------------------------------
mkdir -p "$WORK/data"
STORE_FLAGS=(--data-dir "$WORK/data")
if [[ $STORE_KIND == redis ]]; then
  REDIS_PORT=$(free_port)
  start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/data" --appendonly yes \
    --appendfsync everysec --save "" --daemonize no
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  STORE_FLAGS+=(--store "redis://127.0.0.1:$REDIS_PORT/0")
fi

COMMON=(--queue "$QUEUE" "${STORE_FLAGS[@]}" --allow-private --max-queue 100000 --drain-seconds 5)
API_PORT=$(free_port)
start api "$SHOT" api --listen "127.0.0.1:$API_PORT" "${COMMON[@]}"
wait_http "http://127.0.0.1:$API_PORT/readyz" 30 || { echo "shot api did not get ready:" >&2; tail -5 "$WORK/api.log" >&2; exit 1; }

# The job: the corpus cycled to N URLs, captured fresh (no cache), PNG after load, as bench/run.sh.
python3 - "$WORK/corpus/urls.txt" "$N" "$WORK/job.json" <<'EOF'
import json, sys
urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
n = int(sys.argv[2])
# A distinct query string per entry, so the service's de-duplication cannot share captures.
run = [urls[i % len(urls)] + ("&" if "?" in urls[i % len(urls)] else "?") + "bench=%d" % i for i in range(n)]
json.dump({"urls": run, "fresh": True, "cache_ttl_s": 0,
           "options": {"wait_until": "load", "format": "png"}}, open(sys.argv[3], "w"))
EOF
echo "corpus on 127.0.0.1:$PAGES_PORT; RabbitMQ on $AMQP_PORT; store $STORE_KIND; N=$N; tabs/worker=$TABS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for w in $WORKERS; do
  WPIDS=()
  for i in $(seq 1 "$w"); do
    port=$(free_port)
    start "worker-$w-$i" "$SHOT" worker --listen "127.0.0.1:$port" --tabs "$TABS" "${COMMON[@]}"
    WPIDS+=("$STARTED_PID:$port")
  done
  for wp in "${WPIDS[@]}"; do
    wait_http "http://127.0.0.1:${wp#*:}/readyz" 60 || { echo "a worker did not get ready" >&2; exit 1; }
  done
  python3 - "$API_PORT" "$WORK/job.json" "$w" "$TABS" "$N" "$RUN_TIMEOUT" >>"$RESULTS" <<'EOF'
import json, sys, time, urllib.request
port, job_file, w, tabs, n, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
base = "http://127.0.0.1:%s" % port
body = open(job_file, "rb").read()
t0 = time.monotonic()
req = urllib.request.Request(base + "/v1/jobs", data=body, headers={"Content-Type": "application/json"})
job = json.load(urllib.request.urlopen(req, timeout=120))
accepted = time.monotonic() - t0
state, progress = "queued", {}
while time.monotonic() - t0 < limit:
    j = json.load(urllib.request.urlopen(base + "/v1/jobs/" + job["id"] , timeout=30))
    state, progress = j["state"], j.get("progress", {})
    if state in ("succeeded", "failed", "partial", "canceled"):
        break
    time.sleep(0.2)
total = time.monotonic() - t0
ok = progress.get("succeeded", 0)
print(json.dumps({"workers": w, "tabs_per_worker": tabs, "n": n, "state": state, "succeeded": ok,
                  "failed": progress.get("failed", 0), "accept_s": round(accepted, 2),
                  "total_s": round(total, 2), "shots_per_s": round(ok / total, 2)}))
EOF
  tail -n 1 "$RESULTS"
  for wp in "${WPIDS[@]}"; do stop_group "${wp%%:*}"; done
done

python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
base = rows[0]["shots_per_s"] if rows and rows[0]["shots_per_s"] else None
print("\nworkers  tabs/worker  n     ok    total_s  shots/s  vs 1 worker")
for r in rows:
    ratio = "%.2fx" % (r["shots_per_s"] / base) if base else "-"
    print("%-8d %-12d %-5d %-5d %-8.1f %-8.2f %s" % (r["workers"], r["tabs_per_worker"], r["n"], r["succeeded"], r["total_s"], r["shots_per_s"], ratio))
EOF
