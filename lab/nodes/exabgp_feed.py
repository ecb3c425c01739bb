"""The API process behind an ExaBGP fabric emulator: it tells ExaBGP what the fabric announces.

ExaBGP runs it (``process feed { run ... }``) and reads its stdout as API commands.
Announcing route by route would make ExaBGP parse one command per prefix, so the feed
batches: one ``announce attributes ... nlri P1 P2 ...`` line carries up to BATCH
prefixes that share the link-bandwidth community of one session.  ExaBGP answers
every command on our stdin (``done`` / ``error``), which doubles as flow control and
as the check that it accepted each batch; an ``error`` ends the feed with a log line,
so a broken emulator shows up as a dead process, not as silently missing routes.

SIGUSR1 withdraws everything, SIGUSR2 announces it again (the same contract as
lab/nodes/speaker.py, so the fault injector drives both alike).

Run by ExaBGP: ``python -m lab.nodes.exabgp_feed SPEAKER.json LOG NETNS`` (NETNS only tags
the command line so ``baglab down`` finds the process).
"""
from __future__ import annotations

import json
import select
import signal
import sys
import time
from collections.abc import Iterator

from lab.nodes.collector import append_nofollow
from lab.nodes.speaker import link_bandwidth_community

BATCH = 1000


def all_prefixes(cfg: dict) -> dict[str, list[str]]:
    from lab.design.plan import BulkBlock

    every = list(cfg["prefixes"])
    for b in cfg.get("bulk", []):
        every += list(BulkBlock(**b).prefixes())
    return {"ipv4": [p for p in every if ":" not in p], "ipv6": [p for p in every if ":" in p]}


def commands(cfg: dict, withdraw: bool, batch: int = BATCH) -> Iterator[str]:
    """API lines, interleaving sessions batch by batch so every peer fills at the same pace."""
    prefixes = all_prefixes(cfg)
    per_nb = []
    for nb in cfg["neighbors"]:
        fam = "ipv6" if ":" in nb["peer"] else "ipv4"
        ec = "0x" + link_bandwidth_community(nb["bandwidth_mbps"]).hex()
        if withdraw:
            head = f"neighbor {nb['peer']} withdraw attributes next-hop {nb['local']} nlri "
        else:
            head = (f"neighbor {nb['peer']} announce attributes origin igp next-hop {nb['local']} "
                    f"extended-community [ {ec} ] nlri ")
        per_nb.append((head, prefixes[fam]))
    longest = max((len(p) for _, p in per_nb), default=0)
    for start in range(0, longest, batch):
        for head, pfx in per_nb:
            if start < len(pfx):
                yield head + " ".join(pfx[start:start + batch])


class Feed:
    def __init__(self, cfg: dict, log):
        self.cfg, self.log = cfg, log
        self.pending: list[str] = []

    def say(self, text: str) -> None:
        self.log.write(f"{time.time():.3f} feed: {text}\n")
        self.log.flush()

    def push(self, withdraw: bool) -> None:
        n = 0
        t0 = time.monotonic()
        for line in commands(self.cfg, withdraw):
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            answer = sys.stdin.readline()
            if not answer:
                raise SystemExit(self.say("ExaBGP closed the API pipe") or 1)
            if answer.strip() != "done":
                self.say(f"ExaBGP refused a command ({answer.strip()!r}): {line[:200]}")
                raise SystemExit(1)
            n += 1
        self.say(f"{'withdraw' if withdraw else 'announce'}: {n} commands accepted in {time.monotonic() - t0:.1f}s")

    def run(self) -> None:
        signal.signal(signal.SIGUSR1, lambda *_: self.pending.append("withdraw"))
        signal.signal(signal.SIGUSR2, lambda *_: self.pending.append("announce"))
        self.push(withdraw=False)
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], 0.2)
            if ready and not sys.stdin.readline():
                return                               # ExaBGP went away: so do we
            while self.pending:
                self.push(withdraw=self.pending.pop(0) == "withdraw")


def main() -> None:
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    with append_nofollow(sys.argv[2]) as log:
        Feed(cfg, log).run()


if __name__ == "__main__":
    main()
