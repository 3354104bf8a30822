"""The QGTM live daemon: scheduling, session masks, heartbeat, watchdogs, shadow decision log.

from qgtm_live import Daemon, SessionScheduler
daemon = Daemon(pipeline, clock, before_cycle=feed_venue, state=store, heartbeat=Heartbeat(path))
stats = daemon.run(schedule)
"""

from qgtm_live._alerts import AlertChannel, AlertError, EmailAlerts, MemoryAlerts, WebhookAlerts
from qgtm_live._daemon import CYCLE_KEY, Daemon, DaemonStats, ReplayDaemon, WallClockPacer
from qgtm_live._decision_log import DecisionLog, DecisionRecord, intents_digest
from qgtm_live._heartbeat import Heartbeat, HeartbeatRecord
from qgtm_live._hot_swap import ModelHotSwap
from qgtm_live._scheduler import MaintenanceWindow, SessionScheduler
from qgtm_live._watchdog import RestartTracker, Watchdog, WatchdogLimits

__all__ = [
    "CYCLE_KEY",
    "AlertChannel",
    "AlertError",
    "Daemon",
    "DaemonStats",
    "DecisionLog",
    "DecisionRecord",
    "EmailAlerts",
    "Heartbeat",
    "HeartbeatRecord",
    "MaintenanceWindow",
    "MemoryAlerts",
    "ModelHotSwap",
    "ReplayDaemon",
    "RestartTracker",
    "SessionScheduler",
    "WallClockPacer",
    "Watchdog",
    "WatchdogLimits",
    "WebhookAlerts",
    "intents_digest",
]
