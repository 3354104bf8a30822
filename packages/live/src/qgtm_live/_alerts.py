"""Alert channels the watchdogs escalate to: a webhook (Slack, PagerDuty, Opsgenie style JSON
POST through httpx) or email (SMTP). Both implement ``AlertChannel``; ``MemoryAlerts`` records
alerts for tests and for the API to show.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import httpx

from qgtm_core import QgtmError

__all__ = ["AlertChannel", "AlertError", "EmailAlerts", "MemoryAlerts", "WebhookAlerts"]


class AlertError(QgtmError):
    """An alert could not be delivered."""


class AlertChannel(Protocol):
    """Somewhere an operator will see an alarm."""

    def send(self, subject: str, body: str) -> None: ...


@dataclass
class MemoryAlerts:
    """Keeps alerts in memory."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, subject: str, body: str) -> None:
        """Record one alert."""
        self.sent.append((subject, body))


class WebhookAlerts:
    """POSTs ``{"subject", "text"}`` as JSON to a URL."""

    def __init__(self, url: str, client: httpx.Client | None = None, timeout: float = 5.0) -> None:
        self._url = url
        self._client = client or httpx.Client(timeout=timeout)

    def send(self, subject: str, body: str) -> None:
        """Deliver or raise ``AlertError`` naming the URL and the failure."""
        try:
            response = self._client.post(self._url, json={"subject": subject, "text": body})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            msg = f"alert webhook {self._url}: {exc}"
            raise AlertError(msg) from exc


class EmailAlerts:
    """Sends a plain-text email through an SMTP relay."""

    def __init__(self, host: str, port: int, sender: str, recipients: tuple[str, ...], timeout: float = 10.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._recipients = recipients
        self._timeout = timeout

    def send(self, subject: str, body: str) -> None:
        """Deliver or raise ``AlertError`` naming the relay."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = ", ".join(self._recipients)
        message["Subject"] = f"[qgtm] {subject}"
        message.set_content(body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            msg = f"alert email via {self._host}:{self._port}: {exc}"
            raise AlertError(msg) from exc
