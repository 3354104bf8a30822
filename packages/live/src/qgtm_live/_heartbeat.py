"""The heartbeat: a small JSON file rewritten atomically after every cycle.

An external watchdog (systemd's ``WatchdogSec`` via a probe, a monitoring agent, ``qgtm``'s own
tests) reads its age; a daemon that hangs stops touching it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["Heartbeat", "HeartbeatRecord"]


@dataclass(frozen=True, slots=True)
class HeartbeatRecord:
    """The last beat."""

    at: datetime
    cycle: int
    pid: int
    status: str


class Heartbeat:
    """Writes and reads the heartbeat file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def beat(self, at: datetime, cycle: int, status: str = "ok") -> None:
        """Record a beat (write to a temporary file, then rename: readers never see half a file)."""
        tmp = self.path.with_suffix(".tmp")
        body = {"at": at.isoformat(), "cycle": cycle, "pid": os.getpid(), "status": status}
        tmp.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def read(self) -> HeartbeatRecord | None:
        """The last beat, or None if the daemon never beat."""
        if not self.path.is_file():
            return None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return HeartbeatRecord(
            at=datetime.fromisoformat(str(data["at"])),
            cycle=int(data["cycle"]),
            pid=int(data["pid"]),
            status=str(data["status"]),
        )
