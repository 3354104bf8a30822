"""The ``/ws/stream`` conversation: hello, welcome, backlog, live events and heartbeats.

Authentication travels in the first message (or the ``X-API-Key`` header), never in the URL, so
keys do not end up in access logs. Close codes: 4400 bad hello, 4401 bad key, 4408 no hello in
time, 4410 gap too old (resync), 4429 client too slow or rate-limited (reconnect with last_seq).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Literal

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qgtm_api._stream import GapTooOld, StreamMessage, Subscription

if TYPE_CHECKING:
    from qgtm_api._services import ApiServices

__all__ = ["serve_stream"]

_HEARTBEAT = StreamMessage(0, "heartbeat", "", None)


class _Hello(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["hello"]
    api_key: str | None = None
    last_seq: int | None = Field(default=None, ge=0)


async def _refuse(websocket: WebSocket, code: int, kind: str, message: str, **extra: int) -> None:
    await websocket.send_text(json.dumps({"type": kind, "code": code, "message": message, **extra}))
    await websocket.close(code)


async def _hello(websocket: WebSocket, svc: ApiServices) -> _Hello | None:
    try:
        text = await asyncio.wait_for(websocket.receive_text(), timeout=svc.hello_timeout_seconds)
    except TimeoutError:
        await _refuse(websocket, 4408, "error", "no hello message received in time")
        return None
    try:
        return _Hello.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        await _refuse(websocket, 4400, "error", f"bad hello: {where}: {first['msg']}")
        return None


async def _send_live(websocket: WebSocket, sub: Subscription, svc: ApiServices) -> None:
    for message in sub.backlog:
        await websocket.send_text(message.to_json())
    loop = asyncio.get_running_loop()
    last_sent = [loop.time()]
    beats = asyncio.create_task(_heartbeats(sub, svc.heartbeat_seconds, last_sent))
    try:
        while True:
            if sub.overflowed and sub.queue.empty():
                await _refuse(websocket, 4429, "resync", "client too slow: reconnect with your last seq to resume")
                return
            message = await sub.queue.get()
            if message is _HEARTBEAT:
                beat = {"type": "heartbeat", "head_seq": svc.hub.head_seq, "at": svc.clock.now().isoformat()}
                await websocket.send_text(json.dumps(beat))
            else:
                await websocket.send_text(message.to_json())
            last_sent[0] = loop.time()
    finally:
        beats.cancel()


async def _heartbeats(sub: Subscription, every: float, last_sent: list[float]) -> None:
    """Queue a heartbeat after ``every`` seconds of silence: idle clients hear from us every ``every``
    seconds, busy ones are not interrupted, and clients connected together do not beat in lockstep."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(0.0, last_sent[0] + every - loop.time()))
        if loop.time() - last_sent[0] >= every and not sub.queue.full():
            sub.queue.put_nowait(_HEARTBEAT)
            last_sent[0] = loop.time()


async def _drain_incoming(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def serve_stream(websocket: WebSocket, svc: ApiServices) -> None:
    """Run one client's stream until it disconnects."""
    await websocket.accept()
    try:
        hello = await _hello(websocket, svc)
        if hello is None:
            return
        token = websocket.headers.get("x-api-key") or hello.api_key
        key = svc.keys.verify(token) if token else None
        if key is None:
            await _refuse(websocket, 4401, "error", "missing, unknown or revoked API key")
            return
        if svc.limiter.allow(key.key_id, key.rate_per_minute) > 0:
            await _refuse(websocket, 4429, "error", f"rate limit of {key.rate_per_minute}/min exceeded")
            return
        try:
            sub = svc.hub.open(hello.last_seq, asyncio.get_running_loop())
        except GapTooOld as gap:
            await _refuse(websocket, 4410, "resync", str(gap), oldest_seq=gap.oldest, head_seq=gap.head)
            return
        svc.metrics.ws_clients.set(svc.hub.clients)
        try:
            welcome = {
                "type": "welcome",
                "head_seq": svc.hub.head_seq,
                "resumed_from": hello.last_seq,
                "heartbeat_seconds": svc.heartbeat_seconds,
            }
            await websocket.send_text(json.dumps(welcome))
            sender = asyncio.create_task(_send_live(websocket, sub, svc))
            receiver = asyncio.create_task(_drain_incoming(websocket))
            done, pending = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError):
                    await task
            for task in done:
                with contextlib.suppress(WebSocketDisconnect, OSError):
                    task.result()
        finally:
            svc.hub.close(sub)
            svc.metrics.ws_clients.set(svc.hub.clients)
    except WebSocketDisconnect:
        return
