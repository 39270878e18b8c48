#!/usr/bin/env python3
"""docs/ kept in step with the binary.

api.md: every path+method of `shot openapi` (the document GET /openapi.json
serves) has a heading `### METHOD /path`, and every such heading is in it.
configuration.md: every --flag and SHOT_ variable that
`shot serve|api|worker|capture|crawl|submit --help`
prints appears in it.
"""
import json
import re
import subprocess
import sys


def main(shot, docs):
    problems = []
    spec = json.loads(subprocess.run([shot, "openapi"], check=True, capture_output=True,
                                     text=True).stdout)
    in_spec = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    api = open(f"{docs}/api.md", encoding="utf-8").read()
    in_doc = set(re.findall(r"^### (GET|POST|PUT|PATCH|DELETE|HEAD) (\S+)\s*$", api, re.M))
    for m, p in sorted(in_spec - in_doc):
        problems.append(f"api.md has no heading '### {m} {p}' (it is in /openapi.json)")
    for m, p in sorted(in_doc - in_spec):
        problems.append(f"api.md documents '{m} {p}', which /openapi.json does not have")

    config = open(f"{docs}/configuration.md", encoding="utf-8").read()
    for command in ("serve", "api", "worker", "capture", "crawl", "submit"):
        out = subprocess.run([shot, command, "--help"], check=True, capture_output=True,
                             text=True).stdout
        for flag in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out))):
            if flag == "--help":
                continue
            if not re.search(re.escape(flag) + r"(?![a-z0-9-])", config):
                problems.append(f"configuration.md does not mention {flag} (shot {command})")
        for env in sorted(set(re.findall(r"Env:(SHOT_[A-Z0-9_]+)", out))):
            if env not in config:
                problems.append(f"configuration.md does not mention {env} (shot {command})")

    for p in problems:
        print(p)
    print(f"{len(in_spec)} routes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
