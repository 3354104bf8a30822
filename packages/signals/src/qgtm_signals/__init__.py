"""Signal publishing for QGTM: event bus, subscriber tiers and channels.

from qgtm_signals import InProcessBus
bus = InProcessBus()
bus.subscribe("signals", print)
bus.publish("signals", {"instrument": "GLD", "direction": 1})
"""

from qgtm_signals._bus import InProcessBus

__all__ = ["InProcessBus"]
