"""Scheduler (exchange calendars, maintenance windows), watchdogs, restarts, alerts, hot swap."""

import json
import socketserver
import threading
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from qgtm_core import ConfigError
from qgtm_live import (
    AlertError,
    EmailAlerts,
    Heartbeat,
    MaintenanceWindow,
    MemoryAlerts,
    ModelHotSwap,
    RestartTracker,
    SessionScheduler,
    Watchdog,
    WatchdogLimits,
    WebhookAlerts,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_cycles_follow_the_nyse_calendar_and_skip_maintenance():
    s = SessionScheduler(
        "XNYS", timedelta(hours=1), [MaintenanceWindow.parse("17:00-18:00")], start=utc(2024, 6, 1).date()
    )
    times = list(s.times(utc(2024, 7, 3), utc(2024, 7, 6)))
    # 3 July closes early (17:00 UTC), 4 July is a holiday, 17:30 on the 5th is in the maintenance window
    assert times[:4] == [utc(2024, 7, 3, h, 30) for h in (13, 14, 15, 16)]
    assert all(t.date() != utc(2024, 7, 4).date() for t in times)
    assert utc(2024, 7, 5, 17, 30) not in times
    assert times[-1] == utc(2024, 7, 5, 19, 30)
    assert s.is_open(utc(2024, 7, 5, 14))
    assert not s.is_open(utc(2024, 7, 5, 17, 15))
    assert s.session_open(utc(2024, 7, 5, 15)) == utc(2024, 7, 5, 13, 30)
    assert s.session_open(utc(2024, 7, 4, 15)) is None
    assert s.next_open(utc(2024, 7, 3, 18)) == utc(2024, 7, 5, 13, 30)


def test_windows_wrap_midnight_and_bad_config_is_named():
    w = MaintenanceWindow(time(23, 0), time(1, 0))
    assert w.contains(utc(2024, 1, 1, 23, 30))
    assert w.contains(utc(2024, 1, 2, 0, 30))
    assert not w.contains(utc(2024, 1, 2, 1, 0))
    with pytest.raises(ConfigError, match="HH:MM-HH:MM"):
        MaintenanceWindow.parse("noon")
    with pytest.raises(ConfigError, match=r"live\.calendar"):
        SessionScheduler("NOPE")
    with pytest.raises(ConfigError, match=r"live\.cadence"):
        SessionScheduler("XNYS", timedelta(0))


def test_watchdogs_alarm_only_when_unhealthy():
    alerts = MemoryAlerts()
    w = Watchdog(alerts, WatchdogLimits(stale_data=timedelta(hours=1), cycle_overrun=timedelta(seconds=1)))
    now = utc(2024, 3, 1, 15)
    assert w.check_data(now - timedelta(minutes=5), now) == []
    assert w.check_data(now - timedelta(hours=2), now) == ["stale data"]
    assert w.check_data(None, now) == ["stale data"]
    assert w.check_broker(True) == []
    assert w.check_broker(False, "alpaca") == ["broker disconnected"]
    assert w.check_cycle(0.5, 1) == []
    assert w.check_cycle(1.5, 2) == ["cycle overrun"]
    assert [s for s, _ in alerts.sent] == ["stale data", "stale data", "broker disconnected", "cycle overrun"]
    assert "cycle 2 took 1.500s" in alerts.sent[-1][1]


class Kv(dict):
    """A KeyValueStore in memory (the daemon's real store is the execution package's)."""

    def get(self, key):
        return super().get(key)

    def put(self, key, value):
        self[key] = value


def test_third_failed_restart_escalates():
    store = Kv()
    alerts = MemoryAlerts()
    tracker = RestartTracker(store, alerts, limit=3)
    for _ in range(3):
        tracker.starting()  # each start dies before finishing a cycle
    assert alerts.sent == []
    tracker.starting()
    assert alerts.sent[0][0] == "daemon restart loop"
    tracker.progressed()
    assert tracker.failed == 0
    tracker.progressed()
    assert tracker.failed == 0


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_alerts_post_json_to_a_loopback_server():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    WebhookAlerts(url).send("broker disconnected", "alpaca: connection lost")
    assert _Hook.received[-1] == {"subject": "broker disconnected", "text": "alpaca: connection lost"}
    _Hook.status = 500
    with pytest.raises(AlertError, match="alert webhook"):
        WebhookAlerts(url).send("x", "y")
    server.shutdown()
    server.server_close()


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept a message, keep it."""

    messages: ClassVar[list[str]] = []

    def handle(self):
        self.wfile.write(b"220 fake ESMTP\r\n")
        data = False
        lines: list[str] = []
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if data:
                if line == ".":
                    _Smtp.messages.append("\n".join(lines))
                    data = False
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            verb = line.split(" ")[0].upper()
            if verb == "DATA":
                data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_alerts_go_through_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    EmailAlerts("127.0.0.1", port, "qgtm@desk", ("ops@desk",)).send("trading halted", "SLV mismatch")
    assert "Subject: [qgtm] trading halted" in _Smtp.messages[-1]
    assert "SLV mismatch" in _Smtp.messages[-1]
    server.shutdown()
    server.server_close()
    with pytest.raises(AlertError, match=r"alert email via 127\.0\.0\.1"):
        EmailAlerts("127.0.0.1", port, "a@b", ("c@d",), timeout=1).send("x", "y")


def test_heartbeat_round_trips(tmp_path):
    hb = Heartbeat(tmp_path / "run" / "heartbeat.json")
    assert hb.read() is None
    hb.beat(utc(2024, 3, 1, 15), 7)
    beat = hb.read()
    assert (beat.cycle, beat.status, beat.at) == (7, "ok", utc(2024, 3, 1, 15))


def test_a_new_model_is_installed_only_at_the_next_session_open():
    pending = ["model-v2"]
    installed: list[str] = []
    swap = ModelHotSwap(lambda: pending.pop() if pending else None, installed.append)
    day1, day2 = utc(2024, 3, 1, 14, 30), utc(2024, 3, 4, 14, 30)
    assert swap.on_cycle(day1)  # the very first session: installed at its first cycle
    pending.append("model-v3")
    assert not swap.on_cycle(day1)  # mid-session: staged only
    assert swap.staged == "model-v3"
    assert not swap.on_cycle(None)  # outside sessions nothing happens
    assert swap.on_cycle(day2)
    assert installed == ["model-v2", "model-v3"]
    assert swap.installed == 2
