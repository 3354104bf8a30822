"""Signal publishing for QGTM: event buses, subscriber tiers, channels and the delivery log.

Queue signals per subscriber with its tier's release time, then pump deliveries as the clock moves::

    from datetime import UTC, datetime
    from qgtm_core import ManualClock
    from qgtm_signals import DeliveryLog, EventBusChannel, InProcessBus, SignalPublisher, Subscriber, Tier

    bus = InProcessBus()
    clock = ManualClock(datetime(2024, 1, 2, 15, tzinfo=UTC))
    publisher = SignalPublisher(DeliveryLog(":memory:"), clock)
    publisher.subscribe(Subscriber("desk", Tier.DELAYED, EventBusChannel(bus)))
    # publisher.publish(cycle.signals); publisher.pump()  -> nothing until 15 minutes later
"""

from qgtm_signals._bus import InProcessBus
from qgtm_signals._channels import Channel, EventBusChannel, RedisChannel, WebhookChannel
from qgtm_signals._delivery_log import DeliveryLog, PendingDelivery, Receipt
from qgtm_signals._errors import DeliveryError, SignalsError
from qgtm_signals._hmac import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_body, verify_signature
from qgtm_signals._publisher import PumpReport, SignalPublisher, Subscriber, signal_message_id
from qgtm_signals._redis_bus import RedisBus
from qgtm_signals._tiers import Tier, TierSchedule

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Channel",
    "DeliveryError",
    "DeliveryLog",
    "EventBusChannel",
    "InProcessBus",
    "PendingDelivery",
    "PumpReport",
    "Receipt",
    "RedisBus",
    "RedisChannel",
    "SignalPublisher",
    "SignalsError",
    "Subscriber",
    "Tier",
    "TierSchedule",
    "WebhookChannel",
    "sign_body",
    "signal_message_id",
    "verify_signature",
]
