"""Fake FRED ``/graph/fredgraph.csv`` endpoint on loopback, serving real downloaded files.

Faithful to the live service where it matters to a client: the ``observation_date,<ID>`` header
the endpoint returns today, blank cells for missing days, 404 with an HTML body for an unknown
series, and (optionally) connections dropped mid-request to exercise retries.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from qgtm_data.testing._http import LoopbackHttpServer

__all__ = ["FakeFredServer"]


class FakeFredServer(LoopbackHttpServer):
    """``files`` maps series id -> a FRED CSV download; ``drop_first`` requests are cut off."""

    def __init__(self, files: Mapping[str, Path], drop_first: int = 0) -> None:
        self.requests: list[str] = []
        lock = threading.Lock()
        remaining = [drop_first]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                fake.requests.append(self.path)
                with lock:
                    if remaining[0] > 0:
                        remaining[0] -= 1
                        self.connection.close()  # the client sees a transport error
                        return
                series = parse_qs(url.query).get("id", [""])[0]
                path = files.get(series)
                if url.path != "/graph/fredgraph.csv" or path is None:
                    self._send(404, "text/html", b"<html><body>Series not found</body></html>")
                    return
                lines = path.read_text(encoding="utf-8").splitlines()
                # an empty file stands for a truncated response (a proxy cut the body)
                body = "\n".join([f"observation_date,{series}", *lines[1:]]) + "\n" if lines else ""
                self._send(200, "text/csv", body.encode())

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        super().__init__(Handler)
