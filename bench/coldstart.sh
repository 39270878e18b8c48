#!/usr/bin/env bash
# Cold start: `shot capture URL` (start Chromium, capture, exit) against
# `chromium --headless --screenshot URL`, a process each, one after the other,
# with hyperfine (Debian's `hyperfine`). Prints hyperfine's table and the ratio.
#   bench/coldstart.sh [RUNS=10]
# The page is the corpus's first text page, served on 127.0.0.1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=$(cd "${BENCH_SHARED:-$REPO/../shared/bench}" && pwd)
SHOT=${SHOT:-$REPO/build/shot}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
RUNS=${1:-10}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shot-cold.XXXXXX")
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cp "$SHOT" "$WORK/shot"
python3 "$SHARED/pages/gen.py" "$WORK/corpus" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
timeout 900 "$SHARED/pages/serve.sh" "$WORK/corpus" "$PORT" 880 >/dev/null 2>&1 &
SERVER_PID=$!
sleep 1
URL=$(head -1 "$WORK/corpus/urls.txt")
root=(); [[ $(id -u) -eq 0 ]] && root=(--no-sandbox)
flags="--headless ${root[*]} --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic --hide-scrollbars --window-size=1280,800"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/cold.json" \
  -n chromium-cli "$CHROMIUM $flags --user-data-dir=\$(mktemp -d $WORK/p.XXXX) --screenshot=$WORK/cli.png $URL" \
  -n shot-capture "$WORK/shot capture $URL --wait-until load -o $WORK/out"
python3 - "$WORK/cold.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
cli, shot = r["chromium-cli"]["median"], r["shot-capture"]["median"]
print(json.dumps({"chromium_cli_median_s": round(cli, 3), "shot_capture_median_s": round(shot, 3),
                  "shot_over_cli": round(shot / cli, 2)}))
PY
