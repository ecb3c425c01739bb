"""Every route change in every namespace, timestamped on arrival from netlink.

Convergence time of an event = last BGP FIB change it caused minus the moment the
fault was applied, per node and overall.  One subscribed socket per namespace,
read by one thread with select(): a fault must not be missed because a poll
loop was busy elsewhere.
"""
from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass

from pyroute2 import IPRoute
from pyroute2.netlink.rtnl import RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE

from lab.observe.fib import RTPROT_BGP

RCVBUF = 256 * 1024 * 1024
SO_RCVBUFFORCE = 33


@dataclass(frozen=True)
class RouteEvent:
    t: float            # time.time() on receipt
    node: str
    kind: str           # "add" | "del"
    prefix: str
    bgp: bool
    nexthops: int


class Timeline:
    def __init__(self, netns_of: dict[str, str]):
        self._netns_of = netns_of
        self._socks: dict[int, tuple[str, IPRoute]] = {}
        self._events: list[RouteEvent] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[tuple[float, str, str]] = []   # (time, node, error): gaps in the record

    def start(self, deadline_s: float = 30.0) -> "Timeline":
        # pyroute2 ties a socket to the thread that made it: the reader thread makes its own
        ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(ready,), name="timeline", daemon=True)
        self._thread.start()
        if not ready.wait(deadline_s) or self._error:
            raise RuntimeError(f"timeline could not subscribe to route events: {self._error}")
        return self

    def _subscribe(self, node: str) -> None:
        s = IPRoute(netns=self._netns_of[node], rcvbuf=RCVBUF)
        try:   # beyond rmem_max: a million-route withdrawal must not overflow the queue
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            pass
        s.bind(groups=RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)
        self._socks[s.fileno()] = (node, s)

    def _run(self, ready: threading.Event) -> None:
        try:
            for node in self._netns_of:
                self._subscribe(node)
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self._error = exc
            ready.set()
            return
        ready.set()
        try:
            self._loop()
        finally:
            for _, s in self._socks.values():
                s.close()
            self._socks.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select(list(self._socks), [], [], 0.1)
            now = time.time()
            for fd in ready:
                node, s = self._socks[fd]
                try:
                    msgs = s.get()
                except Exception as exc:  # noqa: BLE001 - overflow: note the gap, resubscribe, go on
                    self.errors.append((now, node, repr(exc)))
                    del self._socks[fd]
                    s.close()
                    self._subscribe(node)
                    continue
                batch = []
                for m in msgs:
                    if m.get("event") not in ("RTM_NEWROUTE", "RTM_DELROUTE") or m.get("table") != 254:
                        continue
                    dst = m.get_attr("RTA_DST")
                    if dst is None:
                        continue
                    mp = m.get_attr("RTA_MULTIPATH")
                    batch.append(RouteEvent(now, node, "add" if m["event"] == "RTM_NEWROUTE" else "del",
                                            f"{dst}/{m['dst_len']}", m["proto"] == RTPROT_BGP, len(mp) if mp else 1))
                if batch:
                    with self._lock:
                        self._events.extend(batch)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    # -- queries ------------------------------------------------------------------------
    def events(self, since: float = 0.0, until: float | None = None, bgp_only: bool = True) -> list[RouteEvent]:
        with self._lock:
            evs = list(self._events)
        return [e for e in evs if e.t >= since and (until is None or e.t <= until) and (e.bgp or not bgp_only)]

    def last_change(self) -> float:
        with self._lock:
            return self._events[-1].t if self._events else 0.0

    def wait_quiet(self, quiet_s: float, deadline_s: float) -> bool:
        """Wait until no route changed for ``quiet_s``; False if it never went quiet before the deadline."""
        end = time.time() + deadline_s
        while time.time() < end:
            if time.time() - self.last_change() >= quiet_s:
                return True
            time.sleep(min(0.05, quiet_s / 4))
        return False

    def convergence_ms(self, t0: float, until: float | None = None) -> dict[str, float]:
        """node -> ms from t0 to that node's last BGP FIB change (nodes without changes are absent)."""
        out: dict[str, float] = {}
        for e in self.events(since=t0, until=until):
            out[e.node] = max(out.get(e.node, 0.0), (e.t - t0) * 1000)
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
