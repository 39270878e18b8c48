#!/usr/bin/env python3
"""One `shot serve` run for bench/run.sh: the whole service, end to end.

    serve_run.py SHOT URL_LIST CONCURRENCY WORKDIR SHARED_BENCH_DIR [--wrk-seconds S] [--items FILE]

Starts `shot serve --tabs C` on a free loopback port with its own data dir,
POSTs one job of every URL in URL_LIST (wait_until load, PNG, fresh: no cache,
no de-duplication, so shot does the same work as the other tools), and polls
the job until every picture is stored. Prints one JSON line:
With --items FILE, writes each item (URL, state, timings, trace) as a JSON line.
  shots_per_s        pictures of the pages / (POST .. job finished)
  failures           items not stored, or stored pictures of an error page (HTTP
                     status outside 200-399: the corpus answers 200 to every URL)
  p50_ms, p95_ms     per item: the capture's total_ms (waiting for a tab included)
  mean_ms, busy      the mean of those, and their sum over the tabs' wall time:
                     1.0 means the tabs never waited between captures
  overhead_p50_ms    shot's own work per capture from its phase timings: decoding
                     Chromium's answer + hashing and storing the picture
  peak_rss_mb        shot + Chromium (every descendant), sampled every 200 ms
  wrk_*              with wrk installed: cached GET /v1/screenshot and
                     GET /v1/jobs/{id} (a one-item job), 64 connections, 2 threads
Loopback only; shot is stopped by its PID.
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(base, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def wait_job(base, job_id, limit_s):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        job = request(base, "/v1/jobs/" + job_id)
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise TimeoutError("job %s not finished after %d s" % (job_id, limit_s))


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % seconds, "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": float(rps.group(1)) if rps else None,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "p50_ms": round(float(p50.group(1)) * scale[p50.group(2)], 3) if p50 else None}


def main():
    shot, url_list, c, work, shared = sys.argv[1:6]
    wrk_seconds = int(sys.argv[sys.argv.index("--wrk-seconds") + 1]) if "--wrk-seconds" in sys.argv else 10
    items_file = sys.argv[sys.argv.index("--items") + 1] if "--items" in sys.argv else None
    urls = [u.strip() for u in open(url_list) if u.strip()]
    os.makedirs(work, exist_ok=True)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    env = dict(os.environ, TMPDIR=os.path.join(work, "tmp"))
    os.makedirs(env["TMPDIR"], exist_ok=True)
    log = open(os.path.join(work, "serve.log"), "w")
    proc = subprocess.Popen([shot, "serve", "--listen", "127.0.0.1:%d" % port, "--tabs", c,
                             "--data-dir", os.path.join(work, "data"), "--allow-private",
                             "--max-urls-per-job", str(max(1000, len(urls)))],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    sampler = None
    line = {"tool": "shot-serve", "concurrency": int(c), "n": len(urls)}
    try:
        for _ in range(300):  # up to 30 s: Chromium starts and the tabs are made ready
            try:
                request(base, "/readyz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("shot serve exited with %s" % proc.returncode)
                time.sleep(0.1)
        mem_file = os.path.join(work, "mem.json")
        sampler = subprocess.Popen(["python3", os.path.join(shared, "lib", "memsample.py"),
                                    str(proc.pid), mem_file, "200", "1800"])
        options = {"wait_until": "load", "format": "png"}
        t0 = time.monotonic()
        job = request(base, "/v1/jobs", {"urls": urls, "options": options, "fresh": True})
        done = wait_job(base, job["id"], 3600)
        total_s = time.monotonic() - t0
        sampler.send_signal(signal.SIGTERM)
        sampler.wait(timeout=10)
        mem = json.load(open(mem_file)) if os.path.exists(mem_file) else {}
        items = done.get("items", [])
        if items_file:
            with open(items_file, "w") as f:
                for i in items:
                    f.write(json.dumps({"url": i.get("url"), "state": i.get("state"),
                                        "timings": i.get("timings", {}), "trace": i.get("trace")}) + "\n")
        # A picture of an error page is not a shot (a corpus server that died
        # mid-run would otherwise look fast): the corpus answers 200 to all.
        ok = [i for i in items
              if i.get("state") == "succeeded" and 200 <= i.get("http_status", 0) < 400]
        timings = [i.get("timings", {}) for i in ok]
        latencies = [t["total_ms"] for t in timings if "total_ms" in t]
        overhead = [t.get("decode_ms", 0) + t.get("store_ms", 0) for t in timings if t]
        line.update({
            "failures": len(items) - len(ok), "total_s": round(total_s, 2),
            "shots_per_s": round(len(ok) / total_s, 2),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "mean_ms": round(statistics.mean(latencies), 1) if latencies else None,
            # The share of the run's wall time the tabs spent inside captures:
            # what is left is time between them (queue, store, bookkeeping).
            "busy": round(sum(latencies) / (total_s * 1000 * int(c)), 3) if latencies else None,
            "overhead_p50_ms": round(statistics.median(overhead), 2) if overhead else None,
            "decode_p50_ms": round(statistics.median([t.get("decode_ms", 0) for t in timings]), 2)
            if timings else None,
            "store_p50_ms": round(statistics.median([t.get("store_ms", 0) for t in timings]), 2)
            if timings else None,
            "phases_p50_ms": {k: round(statistics.median([t[k] for t in timings if k in t]), 1)
                              for k in sorted({k for t in timings for k in t})},
            "peak_rss_mb": mem.get("peak_rss_mb"), "peak_pss_mb": mem.get("peak_pss_mb"),
            "bad_size": sum(1 for i in ok if (i.get("width"), i.get("height")) != (1280, 800)),
        })
        if shutil.which("wrk") and ok:
            query = "/v1/screenshot?url=" + urllib.request.quote(urls[0], safe="") + "&wait_until=load"
            urllib.request.urlopen(base + query, timeout=60).read()  # captured once, then cached
            one = request(base, "/v1/jobs", {"urls": [urls[0]], "options": options})
            wait_job(base, one["id"], 120)
            line["wrk_screenshot_cached"] = wrk(base + query, wrk_seconds)
            line["wrk_job_status"] = wrk(base + "/v1/jobs/" + one["id"], wrk_seconds)
    except Exception as e:  # one JSON line whatever happens
        line["error"] = str(e)[:300]
    finally:
        if sampler and sampler.poll() is None:
            sampler.kill()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
