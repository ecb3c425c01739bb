"""The one ethtool setting the lab needs, by ioctl (this platform has no ethtool binary)."""
from __future__ import annotations

import array
import fcntl
import socket
import struct

SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17


def no_checksum_offload(ifname: str) -> None:
    """Frames a process reads off this device must be finished: with transmit checksum offload
    (and so TSO) a veth passes segments with unfilled checksums, up to 64 KB.  Without it the
    kernel fills checksums and segments before the device sends.  Called inside the namespace."""
    value = array.array("I", [ETHTOOL_STXCSUM, 0])
    ifreq = struct.pack("16sP16x", ifname.encode(), value.buffer_info()[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)


def precise_timers() -> None:
    """A process that delays frames must wake on time: the kernel's default timer slack (50 us)
    would add its own delay to every wait."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(29, 1, 0, 0, 0)     # PR_SET_TIMERSLACK, 1 ns
