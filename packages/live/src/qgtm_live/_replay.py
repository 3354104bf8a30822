"""The replay daemon's original home; the loop now lives in ``_daemon`` (kept for old imports)."""

from qgtm_live._daemon import DaemonStats, ReplayDaemon

__all__ = ["DaemonStats", "ReplayDaemon"]
