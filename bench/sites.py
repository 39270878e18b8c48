#!/usr/bin/env python3
"""The benchmark corpus served as several sites: one process, the same files and
headers as ../shared/bench/pages/serve.py, on 127.0.0.1 ... 127.0.0.N at one port.

    sites.py DIR PORT N [MAX_SECONDS]

Each address is its own site to Chromium (its own origin, renderer and storage),
so a run list that cycles through them is cross-site like real traffic. Loopback
only; exits by itself after MAX_SECONDS.
"""
import functools
import http.server
import importlib.util
import os
import sys
import threading


def main():
    root, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    max_s = float(sys.argv[4]) if len(sys.argv) > 4 else 4 * 3600
    if not 1 <= n <= 9:
        sys.exit("N must be 1..9 (127.0.0.1 ... 127.0.0.9)")
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("BENCH_SHARED", os.path.join(here, "..", "..", "shared", "bench"))
    spec = importlib.util.spec_from_file_location("serve", os.path.join(shared, "pages", "serve.py"))
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    servers = []
    for i in range(1, n + 1):
        srv = http.server.ThreadingHTTPServer(("127.0.0.%d" % i, port),
                                              functools.partial(serve.Handler, directory=root))
        srv.daemon_threads = True
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("serving %s on 127.0.0.1-%d:%d for at most %ds" % (root, n, port, max_s), flush=True)
    threading.Event().wait(max_s)
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    main()
