"""A fake ``ib_async.IB`` that replays a recorded event sequence, in process.

The recording (JSON) holds what IB sent during a session: historical bars answered to
``reqHistoricalData``, then a timeline of real-time bars, top-of-book ticks, depth snapshots,
silences and errors. ``replay`` walks the timeline, moving the fake clock to each event's time
and firing the same ``ib_async`` events (``updateEvent``, ``errorEvent``) with the same
``ib_async`` objects (``Ticker``, ``RealTimeBar``, ``DOMLevel``) a connected client would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from ib_async import BarData, BarDataList, Contract, DOMLevel, Event, RealTimeBar, RealTimeBarList, Ticker

__all__ = ["RECORDINGS", "FakeIB", "ReplayClock"]

RECORDINGS = Path(__file__).parent / "recordings"


class ReplayClock:
    """The time of the event being replayed."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class FakeIB:
    """Implements the ``IbClient`` surface from a recording file."""

    def __init__(self, recording: Path, clock: ReplayClock) -> None:
        self._script = json.loads(recording.read_text(encoding="utf-8"))
        self._clock = clock
        self.errorEvent = Event("errorEvent")
        self.requests: list[str] = []
        self._bars = RealTimeBarList()  # type: ignore[no-untyped-call]  # ib_async leaves __init__ unannotated
        self._bars.reqId = 7
        self._quote: Ticker | None = None
        self._depth: Ticker | None = None

    def reqHistoricalData(  # noqa: N802 - ib_async's name
        self,
        contract: Contract,
        endDateTime: str,  # noqa: N803 - ib_async parameter names
        durationStr: str,  # noqa: N803 - ib_async parameter names
        barSizeSetting: str,  # noqa: N803 - ib_async parameter names
        whatToShow: str,  # noqa: N803 - ib_async parameter names
        useRTH: bool,  # noqa: N803 - ib_async parameter names
        formatDate: int = 1,  # noqa: N803 - ib_async parameter names
    ) -> BarDataList:
        self.requests.append(
            f"historical {contract.symbol} {durationStr} {barSizeSetting} {whatToShow} fmt={formatDate}"
        )
        out = BarDataList()  # type: ignore[no-untyped-call]  # ib_async leaves __init__ unannotated
        for bar in self._script["historical"][barSizeSetting]:
            stamp: date | datetime = (
                datetime.fromisoformat(bar["date"]) if "T" in bar["date"] else date.fromisoformat(bar["date"])
            )
            out.append(BarData(stamp, bar["o"], bar["h"], bar["l"], bar["c"], bar["v"], bar["c"], 1))
        return out

    def reqRealTimeBars(self, contract: Contract, barSize: int, whatToShow: str, useRTH: bool) -> RealTimeBarList:  # noqa: N802, N803 - ib_async's names
        self.requests.append(f"realtime {contract.symbol} {barSize} {whatToShow}")
        return self._bars

    def reqMktData(self, contract: Contract) -> Ticker:  # noqa: N802 - ib_async's name
        self.requests.append(f"mktdata {contract.symbol}")
        self._quote = Ticker(contract=contract)
        return self._quote

    def reqMktDepth(self, contract: Contract, numRows: int = 5) -> Ticker:  # noqa: N802, N803 - ib_async's names
        self.requests.append(f"depth {contract.symbol} {numRows}")
        self._depth = Ticker(contract=contract)
        return self._depth

    def replay(self, after_each: Callable[[datetime], None] | None = None) -> None:
        """Fire every recorded event in order; ``after_each`` runs after each (e.g. a watchdog check)."""
        for event in self._script["timeline"]:
            self._clock.now = datetime.fromisoformat(event["at"])
            getattr(self, f"_{event['kind']}")(event)
            if after_each is not None:
                after_each(self._clock.now)

    def _rtbar(self, event: dict[str, object]) -> None:
        at = datetime.fromisoformat(str(event["time"]))
        o, h, lo, c, v = (float(str(event[k])) for k in ("o", "h", "l", "c", "v"))
        self._bars.append(RealTimeBar(time=at, endTime=-1, open_=o, high=h, low=lo, close=c, volume=v, wap=c, count=1))
        self._bars.updateEvent.emit(self._bars, True)

    def _quote_tick(self, event: dict[str, object]) -> None:
        ticker = self._quote
        if ticker is None:
            return
        ticker.time = self._clock.now
        ticker.bid, ticker.ask = float(event["bid"]), float(event["ask"])  # type: ignore[arg-type]
        ticker.bidSize, ticker.askSize = float(event["bid_size"]), float(event["ask_size"])  # type: ignore[arg-type]
        ticker.updateEvent.emit(ticker)

    def _depth_snapshot(self, event: dict[str, object]) -> None:
        ticker = self._depth
        if ticker is None:
            return
        ticker.time = self._clock.now
        ticker.domBids = [DOMLevel(p, s, "") for p, s in event["bids"]]  # type: ignore[attr-defined]
        ticker.domAsks = [DOMLevel(p, s, "") for p, s in event["asks"]]  # type: ignore[attr-defined]
        ticker.updateEvent.emit(ticker)

    def _silence(self, event: dict[str, object]) -> None:
        """Nothing arrives; only the clock moves (the watchdog check runs after)."""

    def _error(self, event: dict[str, object]) -> None:
        self.errorEvent.emit(event["req_id"], event["code"], event["message"], None)
