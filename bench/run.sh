#!/usr/bin/env bash
# shot vs. the Puppeteer baselines, side by side in one run (see bench/README.md).
#
#   bench/run.sh                      # N=200 shots per run, C = 1 2 4
#   BENCH_N=40 BENCH_CONCURRENCY="1 2" bench/run.sh   # quick
#
# Environment:
#   BENCH_N            shots per run (the 84-page corpus cycled to N, shuffled with seed 42)   [200]
#   BENCH_CONCURRENCY  concurrency levels                                                      ["1 2 4"]
#   BENCH_NODE_DIR     folder holding node_modules/puppeteer-core (installed if missing)       [/tmp/bench-node]
#   BENCH_SHARED       the shared corpus + baselines folder                                    [<repo>/../shared/bench]
#   BENCH_RUN_TIMEOUT  hard limit per run, seconds                                             [600]
#   BENCH_TOOLS        which runs to do, any of: shot shot-serve pptr-A raw-reuse  ["shot shot-serve pptr-A raw-reuse"]
#   BENCH_SITES        sites the corpus is served as: 1, or up to 9 (127.0.0.1 ... 127.0.0.9, cycled
#                      so consecutive URLs are cross-site, like real traffic)                    [1]
#   SHOT               the shot binary                                                         [<repo>/build/shot]
#   CHROMIUM           the browser the Node baselines launch (read by lib/common.mjs)          [/usr/bin/chromium]
#
# Prints one JSON line per run (also appended to bench/results/<UTC stamp>.jsonl) and a final table.
# Everything talks to 127.0.0.1 only; every process is bounded by `timeout` and cleaned up by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=$(cd "${BENCH_SHARED:-$REPO/../shared/bench}" && pwd)
SHOT=${SHOT:-$REPO/build/shot}
N=${BENCH_N:-200}
CONCURRENCY=${BENCH_CONCURRENCY:-1 2 4}
NODE_DIR=${BENCH_NODE_DIR:-/tmp/bench-node}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
TOOLS=${BENCH_TOOLS:-shot shot-serve pptr-A raw-reuse}
SITES=${BENCH_SITES:-1}
export BENCH_NODE_DIR=$NODE_DIR

[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_N must be a positive integer" >&2; exit 2; }
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_RUN_TIMEOUT must be a positive integer" >&2; exit 2; }
[[ $SITES =~ ^[1-9]$ ]] || { echo "BENCH_SITES must be 1..9" >&2; exit 2; }
for c in $CONCURRENCY; do [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "bad concurrency: $c" >&2; exit 2; }; done
for t in $TOOLS; do case $t in shot|shot-serve|pptr-A|raw-reuse) ;; *) echo "unknown tool: $t" >&2; exit 2;; esac; done
[[ -x $SHOT ]] || { echo "no shot binary at $SHOT (build: cmake --build build -j2 --target shot)" >&2; exit 2; }
for f in pages/gen.py pages/serve.sh baselines/puppeteer.mjs baselines/rawcdp.mjs; do
  [[ -e $SHARED/$f ]] || { echo "missing $SHARED/$f" >&2; exit 2; }
done
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }

T_START=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$HERE/results"
RESULTS=$HERE/results/$STAMP.jsonl
: > "$RESULTS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shot-bench.XXXXXX")
SERVER_PID=
# Snapshot the binary: others may rebuild build/shot while this runs (a relink removes it for a moment,
# and a new binary mid-run would mix versions). Every shot run below uses this copy.
SHOT_SRC=$SHOT
cp "$SHOT" "$WORK/shot"
timeout 10 "$WORK/shot" capture --help >/dev/null || { echo "$SHOT_SRC does not run (mid-rebuild?)" >&2; exit 2; }
SHOT_ID="$(stat -c '%y' "$SHOT" | cut -d. -f1), sha256 $(sha256sum "$WORK/shot" | cut -c1-12)"
SHOT=$WORK/shot

# Kill, by PID, any process whose command line mentions $1 (a unique temp dir of ours): a browser
# left behind when `timeout` had to kill its parent. Bounded: one pass over /proc, then SIGKILL.
kill_leftovers() {
  local marker=$1 pids=() p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" ]] && continue
    if tr "\0" " " 2>/dev/null < "/proc/$p/cmdline" | grep -qF -- "$marker"; then pids+=("$p"); fi
  done
  if ((${#pids[@]})); then
    echo "cleanup: killing ${#pids[@]} leftover process(es) under $marker: ${pids[*]}" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  kill_leftovers "$WORK"
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- puppeteer-core (never plain `puppeteer`: it downloads a browser) -------------------------------
if [[ ! -e $NODE_DIR/node_modules/puppeteer-core/package.json ]]; then
  echo "installing puppeteer-core into $NODE_DIR" >&2
  mkdir -p "$NODE_DIR"
  [[ -e $NODE_DIR/package.json ]] || (cd "$NODE_DIR" && timeout 60 npm init -y >/dev/null)
  (cd "$NODE_DIR" && timeout 600 npm install --no-audit --no-fund puppeteer-core >&2)
fi

# --- corpus + server on a free 127.0.0.1 port ---------------------------------------------------------
python3 "$SHARED/pages/gen.py" "$WORK/corpus" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# Lifetime: enough for every run at its hard limit, plus slack; `timeout` bounds it again.
N_RUNS=$(( $(wc -w <<<"$CONCURRENCY") * $(wc -w <<<"$TOOLS") ))
SERVER_MAX=$(( N_RUNS * (RUN_TIMEOUT + 30) + 300 ))
if ((SITES == 1)); then
  timeout $((SERVER_MAX + 10)) "$SHARED/pages/serve.sh" "$WORK/corpus" "$PORT" "$SERVER_MAX" >"$WORK/server.log" 2>&1 &
else
  sed "s#^#http://127.0.0.1:$PORT/#" "$WORK/corpus/paths.txt" > "$WORK/corpus/urls.txt"
  BENCH_SHARED=$SHARED timeout $((SERVER_MAX + 10)) python3 "$HERE/sites.py" "$WORK/corpus" "$PORT" "$SITES" \
    "$SERVER_MAX" >"$WORK/server.log" 2>&1 &
fi
SERVER_PID=$!
for _ in $(seq 1 100); do   # up to ~10 s
  if python3 - "$PORT" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/paths.txt" % sys.argv[1], timeout=1).read()
EOF
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "127.0.0.1:$PORT/" "$WORK/corpus/urls.txt" || { echo "urls.txt not rewritten for port $PORT" >&2; exit 1; }

# --- run list: the 84 URLs cycled to N, shuffled with seed 42 (as the baselines' campaign did) --------
LIST=$WORK/run-list.txt
python3 - "$WORK/corpus/urls.txt" "$N" "$LIST" "$SITES" <<'EOF'
import random, sys
urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
n, sites = int(sys.argv[2]), int(sys.argv[4])
run = [urls[i % len(urls)] for i in range(n)]
random.Random(42).shuffle(run)
# Several sites: the i-th URL goes to 127.0.0.(1 + i % sites), so neighbours are cross-site.
run = [u.replace("//127.0.0.1:", "//127.0.0.%d:" % (1 + i % sites), 1) for i, u in enumerate(run)]
open(sys.argv[3], "w").write("".join(u + "\n" for u in run))
EOF
echo "corpus: $(wc -l < "$WORK/corpus/urls.txt") pages on 127.0.0.1-$SITES:$PORT; run list: $N URLs; C: $CONCURRENCY; results: $RESULTS" >&2
echo "shot binary: $SHOT_ID (copied from $SHOT_SRC)" >&2
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(/usr/bin/chromium --version 2>/dev/null | tail -1 || echo chromium ?)" >&2

# --- one run -------------------------------------------------------------------------------------------
# run_one LABEL C ORDER: runs one tool, prints its JSON line (annotated) and appends it to $RESULTS.
run_one() {
  local label=$1 c=$2 order=$3 dir out err rc=0 t0 t1
  dir=$WORK/run-$label-c$c
  mkdir -p "$dir/tmp" "$dir/out"
  out=$dir/stdout; err=$dir/stderr
  # Graceful deadline for the Node pool: stop taking URLs 60 s before the hard limit.
  local deadline_ms=$(( (RUN_TIMEOUT > 90 ? RUN_TIMEOUT - 60 : RUN_TIMEOUT * 2 / 3) * 1000 ))
  t0=$(date +%s.%N)
  case $label in
    shot)
      TMPDIR=$dir/tmp timeout -k 15 "$RUN_TIMEOUT" "$SHOT" capture --urls-file "$LIST" --tabs "$c" \
        --wait-until load --format png -o "$dir/out" --report "$dir/report.json" >"$out" 2>"$err" || rc=$?
      ;;
    shot-serve)
      timeout -k 15 "$RUN_TIMEOUT" python3 "$HERE/serve_run.py" "$SHOT" "$LIST" "$c" "$dir/serve" \
        "$SHARED" >"$out" 2>"$err" || rc=$?
      ;;
    pptr-A)
      TMPDIR=$dir/tmp timeout -k 15 "$RUN_TIMEOUT" node "$SHARED/baselines/puppeteer.mjs" "$LIST" "$c" \
        --variant A --deadline-ms "$deadline_ms" --out "$dir/out" >"$out" 2>"$err" || rc=$?
      ;;
    raw-reuse)
      TMPDIR=$dir/tmp timeout -k 15 "$RUN_TIMEOUT" node "$SHARED/baselines/rawcdp.mjs" "$LIST" "$c" \
        --mode reuse --deadline-ms "$deadline_ms" --out "$dir/out" >"$out" 2>"$err" || rc=$?
      ;;
  esac
  t1=$(date +%s.%N)
  kill_leftovers "$dir"
  python3 - "$label" "$c" "$order" "$rc" "$t0" "$t1" "$dir" "$N" "$SITES" >>"$RESULTS" <<'EOF'
import glob, json, os, struct, sys
label, c, order, rc, t0, t1, d, n, sites = sys.argv[1:]
c, rc, n = int(c), int(rc), int(n)
line = None
src = os.path.join(d, "report.json") if label == "shot" else os.path.join(d, "stdout")
try:
    lines = [l for l in open(src).read().splitlines() if l.strip().startswith("{")]
    line = json.loads(lines[-1]) if lines else None
except (OSError, ValueError):
    line = None
if line is None:
    err = open(os.path.join(d, "stderr"), errors="replace").read()[-400:]
    line = {"concurrency": c, "n": n, "error": "timeout" if rc == 124 else "no JSON line (exit %d)" % rc,
            "stderr_tail": err}
line = {"label": label, **line, "sites": int(sites), "order": int(order), "exit": rc,
        "wall_s": round(float(t1) - float(t0), 2)}
if label == "shot":
    # Check every file shot wrote: a 1280x800 PNG header; `files` should equal n - failures.
    files = glob.glob(os.path.join(d, "out", "*"))
    bad = 0
    for f in files:
        with open(f, "rb") as fh:
            h = fh.read(24)
        if not (len(h) == 24 and h[:4] == b"\x89PNG" and struct.unpack(">II", h[16:24]) == (1280, 800)):
            bad += 1
    line["files"] = len(files)
    line["bad_size"] = bad
    for k in ("total_s", "shots_per_s", "p50_ms", "p95_ms"):
        if isinstance(line.get(k), float):
            line[k] = round(line[k], 2 if k != "p50_ms" and k != "p95_ms" else 1)
print(json.dumps(line))
EOF
  tail -n 1 "$RESULTS"
  if ((rc != 0)); then echo "warning: $label at C=$c exited $rc; stderr tail:" >&2; tail -n 5 "$err" >&2 || true; fi
  rm -rf "$dir"
}

read -r -a TOOL_ARR <<<"$TOOLS"
ci=0
for c in $CONCURRENCY; do
  # Interleave the tools and rotate their order per concurrency level.
  k=${#TOOL_ARR[@]}
  for ((j = 0; j < k; j++)); do
    run_one "${TOOL_ARR[$(( (j + ci) % k ))]}" "$c" "$j"
  done
  ci=$((ci + 1))
done

# --- table ---------------------------------------------------------------------------------------------
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {(r["label"], r.get("concurrency")): r for r in rows}
cs = sorted({r.get("concurrency") for r in rows if r.get("concurrency") is not None})
def sps(label, c):
    r = by.get((label, c))
    return r.get("shots_per_s") if r and "error" not in r else None
def fmt(x, d=2):
    return "-" if x is None else f"{x:.{d}f}"
def lat(label, c):
    r = by.get((label, c))
    if not r or "error" in r: return "-"
    return f"{r.get('p50_ms', 0):.0f}/{r.get('p95_ms', 0):.0f} ({r.get('failures', 0)})"
print()
print("shots/s (higher is better); p50/p95 ms (failures); ratios paired within this run")
print("| C | tool | shots/s | / pptr-A | / raw-reuse | p50/p95 ms (failures) | peak RSS MB |")
print("|---|---|---|---|---|---|---|")
for c in cs:
    a, r = sps("pptr-A", c), sps("raw-reuse", c)
    for label in ("shot", "shot-serve", "pptr-A", "raw-reuse"):
        if (label, c) not in by: continue
        s = sps(label, c)
        ra = s / a if s is not None and a else None
        rr = s / r if s is not None and r else None
        rss = by[(label, c)].get("peak_rss_mb")
        print(f"| {c} | {label} | {fmt(s)} | {fmt(ra)} | {fmt(rr)} | {lat(label, c)} | {fmt(rss, 0)} |")
for c in cs:
    r = by.get(("shot-serve", c))
    if r and "error" not in r:
        print(f"shot-serve C={c}: own overhead per capture p50 {r.get('overhead_p50_ms')} ms "
              f"(decode {r.get('decode_p50_ms')}, store {r.get('store_p50_ms')})")
        for k in ("wrk_screenshot_cached", "wrk_job_status"):
            if k in r: print(f"  {k}: {r[k]}")
EOF
echo "results: $RESULTS; harness wall time $(( $(date +%s) - T_START )) s" >&2
