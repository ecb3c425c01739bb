"""The route collector's recorder: ExaBGP pipes every UPDATE to it as JSON; it stamps the
moment of receipt and appends one line per message to a JSONL file.

Stamping here, not trusting ExaBGP's own "time", keeps the clock the same one the
fault injector and the FIB timeline use (time.time() on this host).
Run by ExaBGP: ``python -m lab.nodes.collector OUT.jsonl NETNS``.
"""
from __future__ import annotations

import json
import os
import sys
import time


def append_nofollow(path: str):
    """The node directory is the frr user's: never append through a link planted there.  (This runs
    inside containers too, where only the bgp package exists, hence not lab.safe_io.)"""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    return os.fdopen(fd, "a", buffering=1)


def main() -> None:
    out = append_nofollow(sys.argv[1])
    for line in sys.stdin:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        out.write(json.dumps({"t": time.time(), "msg": msg}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
