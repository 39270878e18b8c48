#!/usr/bin/env bash
# What the readiness gate costs: `shot capture` on ../shared/bench's corpus with
# --wait-until load and with --wait-until auto (the default), interleaved, in one run.
#
#   bench/gate_cost.sh                  # N=84 (the corpus once), C = 1 2, 2 rounds
#   BENCH_N=40 BENCH_ROUNDS=1 bench/gate_cost.sh
#
# Environment: BENCH_N [84], BENCH_CONCURRENCY ["1 2"], BENCH_ROUNDS [2], BENCH_RUN_TIMEOUT [600],
# BENCH_SHARED [<repo>/../shared/bench], SHOT [<repo>/build/shot]. 127.0.0.1 only; processes by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=$(cd "${BENCH_SHARED:-$REPO/../shared/bench}" && pwd)
SHOT=${SHOT:-$REPO/build/shot}
N=${BENCH_N:-84}
CONCURRENCY=${BENCH_CONCURRENCY:-1 2}
ROUNDS=${BENCH_ROUNDS:-2}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
[[ -x $SHOT ]] || { echo "no shot binary at $SHOT" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shot-gate.XXXXXX")
SERVER_PID=
cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$SHOT" "$WORK/shot"   # others may relink build/shot mid-run

python3 "$SHARED/pages/gen.py" "$WORK/corpus" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
SERVER_MAX=$(( 2 * ROUNDS * $(wc -w <<<"$CONCURRENCY") * (RUN_TIMEOUT + 30) + 120 ))
timeout $((SERVER_MAX + 10)) "$SHARED/pages/serve.sh" "$WORK/corpus" "$PORT" "$SERVER_MAX" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/paths.txt" >/dev/null && break
  sleep 0.1
done
python3 - "$WORK/corpus/urls.txt" "$N" "$WORK/list.txt" <<'PY'
import random, sys
urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
run = [urls[i % len(urls)] for i in range(int(sys.argv[2]))]
random.Random(42).shuffle(run)
open(sys.argv[3], "w").write("".join(u + "\n" for u in run))
PY
echo "corpus: $(wc -l < "$WORK/corpus/urls.txt") pages, N=$N, C: $CONCURRENCY, rounds: $ROUNDS, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for round in $(seq 1 "$ROUNDS"); do
  for c in $CONCURRENCY; do
    for wait in load auto; do
      d=$WORK/run-$wait-$c-$round
      mkdir -p "$d/out"
      rc=0
      timeout -k 15 "$RUN_TIMEOUT" "$WORK/shot" capture --urls-file "$WORK/list.txt" --tabs "$c" \
        --wait-until "$wait" --format png -o "$d/out" --report "$d/report.json" >"$d/log" 2>&1 || rc=$?
      python3 - "$wait" "$c" "$round" "$rc" "$d/report.json" <<'PY'
import json, sys
wait, c, rnd, rc, path = sys.argv[1:]
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {"error": "no report (exit %s)" % rc}
print(json.dumps({"wait_until": wait, "concurrency": int(c), "round": int(rnd), **r}))
PY
      rm -rf "$d"
    done
  done
done
