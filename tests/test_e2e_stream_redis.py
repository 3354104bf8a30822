"""The daemon publishes each cycle's events to the stream through the real Redis, numbered in order."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import redis


@pytest.fixture
def redis_client():
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("QGTM_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"Redis at 127.0.0.1:6379 is unreachable: {exc}")
    yield client
    client.close()


def test_daemon_cycles_reach_the_stream_channel_in_order(qgtm, config, redis_client):
    channel = f"qgtm:test:{uuid.uuid4().hex}"
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    pubsub.get_message(timeout=1.0)
    env = {"QGTM_BUS__REDIS_URL": "redis://127.0.0.1:6379/0", "QGTM_BUS__STREAM_CHANNEL": channel}
    result = qgtm("run", "--config", str(config()), "--max-cycles", "4", env=env)
    assert result.returncode == 0, result.stderr
    messages = []
    while (message := pubsub.get_message(timeout=1.0)) is not None:
        messages.append(json.loads(message["data"]))
    pubsub.close()
    redis_client.delete(f"{channel}:seq")

    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    kinds = [m["event"]["kind"] for m in messages]
    assert kinds.count("price") == 4
    assert kinds.count("pnl") == 4
    cycles = [m["event"]["data"]["correlation_id"] for m in messages if m["event"]["kind"] == "pnl"]
    assert len(set(cycles)) == 4
    assert all(c.startswith("sig-") for c in cycles)
