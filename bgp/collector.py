"""The route collector's recorder: ExaBGP pipes every UPDATE to it as JSON; it stamps the
moment of receipt and appends one line per message to a JSONL file.

Stamping here, not trusting ExaBGP's own "time", keeps the clock the same one the
fault injector and the FIB timeline use (time.time() on this host).
Run by ExaBGP: ``python -m bgp.collector OUT.jsonl NETNS``.
"""
from __future__ import annotations

import json
import sys
import time


def main() -> None:
    out = open(sys.argv[1], "a", buffering=1)
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
