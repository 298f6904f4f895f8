"""CPU seconds and memory of a process, from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    """User plus system CPU time so far."""
    rss_bytes: int
    peak_rss_bytes: int
    """VmHWM: the highest RSS the process has had."""


def usage(pid: int) -> Usage:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # The command name (field 2) may hold spaces; everything after its ")" is split.
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    rss = peak = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return Usage((utime + stime) / _TICKS, rss, peak)


def system_busy_seconds() -> float:
    """CPU seconds every process of the machine has used (all cores), from /proc/stat.

    Compared with the exporter's and Prometheus' own, it shows whether anything else ran
    during a measurement.
    """
    with open("/proc/stat", encoding="ascii") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS
