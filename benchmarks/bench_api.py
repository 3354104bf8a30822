"""API benchmarks: WebSocket fan-out to 1,000 local clients and REST throughput of /v1/portfolio.

    uv run python benchmarks/bench_api.py                 # defaults: 1,000 clients, 100 messages
    uv run python benchmarks/bench_api.py --clients 200 --messages 50 --rest-seconds 5

The API runs in its own process (uvicorn on 127.0.0.1), as in production, so the clients' event
loop does not share a GIL with the server. Events are published through Redis (the cross-process
path: a Lua script numbers and PUBLISHes them) when 127.0.0.1:6379 answers, otherwise through a
small in-server publisher loop. Each event carries its publish time (ns, same host clock), and each
client records the arrival time: latency = arrival - publish, over every (client, message) pair.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import redis
from websockets.asyncio.client import connect

from qgtm_api import ApiKeyStore, ApiServices, BackgroundServer, RedisStreamRelay, Scope, StreamHub, create_app

CHANNEL = f"qgtm-bench-{os.getpid()}"


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------------- server process
def serve(channel: str, use_redis: bool, messages: int, rate: float) -> None:
    """Child process: run the API, print 'READY <port> <token>', publish locally if no Redis."""
    _raise_fd_limit()
    from bench_api_seed import seeded_state  # noqa: PLC0415 - only the child needs the seed data

    relay = RedisStreamRelay(redis.Redis(host="127.0.0.1", port=6379), channel) if use_redis else None
    hub = StreamHub(capacity=100_000, relay=relay)
    keys = ApiKeyStore(Path(tempfile.mkdtemp()) / "keys.sqlite")
    _, token = keys.create("bench", Scope.READ, rate_per_minute=10_000_000)
    services = ApiServices.in_memory(seeded_state(), keys=keys, hub=hub)
    with BackgroundServer(create_app("bench", services), ws_ping=None) as server:
        print(f"READY {server.port} {token}", flush=True)
        command = sys.stdin.readline().strip()
        if command == "publish" and not use_redis:
            for n in range(messages):
                hub.publish("price", {"n": n, "t_ns": time.time_ns()})
                time.sleep(1 / rate)
            print("PUBLISHED", flush=True)
            sys.stdin.readline()


# ---------------------------------------------------------------------------- clients
async def _client(url: str, token: str, messages: int, ready: asyncio.Event, out: list[float], gate: list[int]) -> None:
    async with connect(url, max_queue=None, ping_interval=None, open_timeout=60, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "api_key": token}))
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome", welcome
        gate[0] += 1
        if gate[0] == gate[1]:
            ready.set()
        got = 0
        while got < messages:
            raw = await ws.recv()
            arrived = time.time_ns()
            message = json.loads(raw)
            if message["type"] != "event":
                continue
            out.append((arrived - message["data"]["t_ns"]) / 1e6)
            got += 1


async def fan_out(port: int, token: str, clients: int, messages: int, publish: Callable[[], None]) -> list[float]:
    url = f"ws://127.0.0.1:{port}/ws/stream"
    ready = asyncio.Event()
    gate = [0, clients]
    latencies: list[float] = []
    tasks = []
    for n in range(clients):
        tasks.append(asyncio.create_task(_client(url, token, messages, ready, latencies, gate)))
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # let the accept queue drain
    await asyncio.wait_for(ready.wait(), timeout=120)
    await asyncio.sleep(1.0)  # let the server finish the connection burst: measure the steady state
    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)
    publisher.join()
    return latencies


def rest_throughput(port: int, token: str, seconds: float, concurrency: int) -> tuple[int, list[float]]:
    url = f"http://127.0.0.1:{port}/v1/portfolio"
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(headers={"X-API-Key": token}) as client:
            local: list[float] = []
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = client.get(url)
                local.append((time.perf_counter() - started) * 1e3)
                assert response.status_code == 200, response.text
            with lock:
                latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    parser.add_argument("--rest-seconds", type=float, default=10.0)
    parser.add_argument("--rest-concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--channel", default=CHANNEL, help=argparse.SUPPRESS)
    parser.add_argument("--no-redis", action="store_true", help="publish in the server process instead")
    args = parser.parse_args()
    use_redis = not args.no_redis
    if use_redis:
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            use_redis = False
    if args.serve:
        serve(args.channel, use_redis, args.messages, args.rate)
        return
    _raise_fd_limit()
    cmd = [sys.executable, __file__, "--serve", "--channel", args.channel, "--messages", str(args.messages)]
    cmd += ["--rate", str(args.rate)] + ([] if use_redis else ["--no-redis"])
    child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent)
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        ready = child.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise SystemExit(f"server did not start: {ready}")
        port, token = int(ready[1]), ready[2]
        relay = RedisStreamRelay(redis.Redis(host="127.0.0.1", port=6379), args.channel) if use_redis else None

        def publish() -> None:
            if relay is not None:
                for n in range(args.messages):
                    relay.publish("price", "", {"n": n, "t_ns": time.time_ns()})
                    time.sleep(1 / args.rate)
            else:
                child.stdin.write("publish\n")
                child.stdin.flush()
                child.stdout.readline()

        count, rest = rest_throughput(port, token, args.rest_seconds, args.rest_concurrency)
        print(f"REST GET /v1/portfolio on loopback, {args.rest_concurrency} client threads, {args.rest_seconds:.0f} s:")
        print(
            f"  {count / args.rest_seconds:,.0f} req/s   latency ms: p50 {statistics.median(rest):.2f}  "
            f"p99 {_percentile(rest, 0.99):.2f}"
        )
        started = time.perf_counter()
        latencies = asyncio.run(fan_out(port, token, args.clients, args.messages, publish))
        elapsed = time.perf_counter() - started
        expected = args.clients * args.messages
        path = "Redis relay (cross-process)" if use_redis else "in-process hub"
        print(f"WebSocket fan-out via {path}: {args.clients} clients x {args.messages} messages at {args.rate}/s")
        print(f"  delivered {len(latencies)}/{expected} in {elapsed:.1f} s")
        print(
            f"  publish->receive latency ms: p50 {statistics.median(latencies):.2f}  "
            f"p99 {_percentile(latencies, 0.99):.2f}  max {max(latencies):.2f}  (target p99 < 50)"
        )
        print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        if child.poll() is None:
            child.stdin.write("stop\n")
            child.stdin.flush()
            child.stdin.close()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
