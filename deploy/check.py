#!/usr/bin/env python3
"""Checks deploy/ against the shot binary, offline: every YAML file parses, the kustomization's
resources exist, and every `shot` subcommand, flag and SHOT_* variable the files use is one the
binary knows (from `shot api --help` and `shot worker --help`). Usage: check.py SHOT_BINARY"""
import pathlib
import re
import subprocess
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
errors = []


def helps(shot):
    out = {}
    for cmd in ("api", "worker", "serve"):
        text = subprocess.run([shot, cmd, "--help"], capture_output=True, text=True, timeout=30).stdout
        out[cmd] = (set(re.findall(r"(--[a-z][a-z0-9-]*)", text)), set(re.findall(r"Env:(SHOT_[A-Z0-9_]+)", text)))
    return out


def check_args(where, args, known):
    if not args:
        return
    cmd = args[0]
    if cmd not in known:
        errors.append(f"{where}: unknown subcommand {cmd!r}")
        return
    for a in args[1:]:
        flag = a.split("=", 1)[0]
        if flag.startswith("--") and flag not in known[cmd][0]:
            errors.append(f"{where}: `shot {cmd}` has no flag {flag}")


def check_env(where, names, known):
    all_env = set().union(*(e for _, e in known.values()))
    for n in names:
        if n.startswith("SHOT_") and n not in all_env:
            errors.append(f"{where}: no shot flag reads {n}")


def main():
    known = helps(sys.argv[1])
    docs = {}
    for path in sorted(HERE.rglob("*.y*ml")):
        try:
            docs[path] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as e:
            errors.append(f"{path.name}: {e}")
    compose = docs.get(HERE / "docker-compose.yml", [{}])[0]
    for name, svc in compose.get("services", {}).items():
        env = svc.get("environment") or {}
        check_env(f"docker-compose.yml {name}", env if isinstance(env, dict) else [e.split("=")[0] for e in env], known)
        if svc.get("image", "").startswith("shot"):
            check_args(f"docker-compose.yml {name}", svc.get("command") or [], known)
    for path, items in docs.items():
        for d in items:
            kind = d.get("kind")
            if kind == "Kustomization":
                for r in d.get("resources", []):
                    if not (path.parent / r).exists():
                        errors.append(f"{path.name}: resource {r} does not exist")
            if kind in ("ConfigMap", "Secret"):
                check_env(f"{path.name} {kind}", list((d.get("data") or {}) | (d.get("stringData") or {})), known)
            if kind == "Deployment":
                for c in d["spec"]["template"]["spec"]["containers"]:
                    if c.get("image", "").startswith("shot"):
                        check_args(f"{path.name} {c['name']}", c.get("args") or [], known)
                        check_env(f"{path.name} {c['name']}", [e["name"] for e in c.get("env", [])], known)
    dockerfile = (HERE / "Dockerfile").read_text()
    check_env("Dockerfile", re.findall(r"\b(SHOT_[A-Z0-9_]+)=", dockerfile), known)
    for cmd in re.findall(r'CMD \["([a-z]+)"\]', dockerfile):
        check_args("Dockerfile CMD", [cmd], known)
    for e in errors:
        print("deploy check:", e)
    print(f"deploy check: {len(docs)} YAML files, {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
