"""Memory of a live process, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def resident_mib(pid: int | None = None, field: str = "VmRSS") -> float:
    """`VmRSS` (resident now) or `VmHWM` (peak resident) of a process, in MiB; this process by default."""
    for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/{pid or os.getpid()}/status")
