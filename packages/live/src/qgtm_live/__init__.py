"""The QGTM live daemon: scheduling, session masks, heartbeat and watchdogs.

from qgtm_live import ReplayDaemon
daemon = ReplayDaemon(pipeline, clock, before_cycle=feed_venue)
stats = daemon.run(schedule)
"""

from qgtm_live._replay import DaemonStats, ReplayDaemon

__all__ = ["DaemonStats", "ReplayDaemon"]
