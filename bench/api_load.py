"""Load on the API while a large analysis writes: GET /api/suggestions latency and errors.

Starts the service with uvicorn on 127.0.0.1 (a free port) on a temporary SQLite database,
fills it with one small demo analysis, then starts an analysis of a simulated home of about a
million events and, for its whole duration, sends GET /api/suggestions from a few concurrent
clients in a separate process. Prints requests/s, p50/p99 latency, errors and the run's time.

    python bench/api_load.py [--size 26] [--runs 3] [--clients 4] [--max-seconds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from homehabits.app import create_app
from homehabits.config import Settings
from homehabits.sources.base import Source
from homehabits.sources.simulator import DemoSource, SimulationConfig

__all__ = ["main"]


@dataclass
class _Load:
    latencies: list[float]
    errors: int
    seconds: float
    worst_loop_lag: float


class _Homes:
    """The small demo home for the first run, the large one afterwards.

    The demo source simulates its home on first use, in a worker thread, as part of the run's
    reading phase (as `homehabits analyze --demo` does). `--simulate-beforehand` does that
    before the measured window instead, so the run is only mining and storing.
    """

    def __init__(self, size: float, days: int) -> None:
        self.large: DemoSource | None = None
        self._size = size
        self._days = days

    async def prepare_large(self, *, simulate_now: bool) -> float:
        """Make the large home the next source; seconds spent simulating it here."""
        self.large = DemoSource(SimulationConfig(days=self._days, size=self._size))
        if not simulate_now:
            return 0.0
        started = time.perf_counter()
        large = self.large
        await asyncio.to_thread(lambda: large.home)
        return time.perf_counter() - started

    def __call__(self) -> Source:
        if self.large is not None:
            return self.large
        return DemoSource(SimulationConfig(days=14))


def _client_loop(url: str, stop: EventType, deadline: float, out: list[Any]) -> None:
    latencies: list[float] = []
    errors = 0
    with httpx.Client(base_url=url, timeout=10.0) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = client.get("/api/suggestions", params={"limit": 50})
                ok = response.status_code == 200 and "items" in response.json()
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1
            time.sleep(0.005)  # a bounded load: a busy review page, not a flood
    out.append((latencies, errors))


def _load_process(
    url: str, clients: int, max_seconds: float, ready: EventType, stop: EventType, results: Any
) -> None:
    # warm up (imports, connections) before the measured window starts
    with httpx.Client(base_url=url, timeout=10.0) as client:
        client.get("/api/suggestions")
    ready.set()
    deadline = time.monotonic() + max_seconds
    out: list[Any] = []
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_client_loop, args=(url, stop, deadline, out))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies = [value for part, _ in out for value in part]
    results.put((latencies, sum(errors for _, errors in out), seconds))


class _LoopLag:
    """How late the server's event loop wakes up: a stalled loop delays every request."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.create_task(self._watch())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.worst

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, loop.time() - before - 0.01)


async def _wait_for_run(client: httpx.AsyncClient, run_id: int) -> dict[str, Any]:
    while True:
        run: dict[str, Any] = (await client.get(f"/api/analysis/runs/{run_id}")).json()
        if run["status"] != "running":
            return run
        await asyncio.sleep(0.5)


async def _measure(
    client: httpx.AsyncClient, url: str, args: argparse.Namespace, *, during_run: bool
) -> tuple[_Load, dict[str, Any] | None]:
    context = mp.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    results = context.Queue()
    process = context.Process(
        target=_load_process, args=(url, args.clients, args.max_seconds, ready, stop, results)
    )
    process.start()
    await asyncio.to_thread(ready.wait)
    lag = _LoopLag()
    lag.start()
    run = None
    if during_run:
        # several runs back to back, so the measured window is more than a moment
        for _ in range(args.runs):
            run_id = (await client.post("/api/analysis/run")).json()["run_id"]
            run = await _wait_for_run(client, run_id)
    else:
        await asyncio.sleep(args.idle_seconds)
    stop.set()
    worst_lag = lag.stop()
    latencies, errors, seconds = await asyncio.to_thread(results.get)
    await asyncio.to_thread(process.join)
    return _Load(latencies, errors, seconds, worst_lag), run


def _report(label: str, load: _Load) -> None:
    count = len(load.latencies)
    if not count:
        print(f"{label}: no requests")
        return
    ordered = sorted(load.latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(count - 1, int(count * 0.99))] * 1000
    print(
        f"{label}: {count} requests in {load.seconds:.1f} s = {count / load.seconds:.0f} req/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms, "
        f"errors {load.errors}; worst event-loop stall {load.worst_loop_lag * 1000:.0f} ms"
    )


async def _bench(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="homehabits-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder / 'homehabits.db'}",
        time_zone="Europe/Berlin",
        analysis_days=args.days,
    )
    homes = _Homes(args.size, args.days)
    app = create_app(settings, source_factory=homes)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        first = (await client.post("/api/analysis/run")).json()["run_id"]
        filled = await _wait_for_run(client, first)
        print(f"database filled: {filled['suggestions_created']} suggestions from a demo run")

        idle, _ = await _measure(client, url, args, during_run=False)
        _report("idle        ", idle)

        simulated = await homes.prepare_large(simulate_now=args.simulate_beforehand)
        if simulated:
            print(f"large home simulated beforehand in a worker thread: {simulated:.1f} s")
        busy, run = await _measure(client, url, args, during_run=True)
        _report(f"during {args.runs} runs", busy)
        if run is None:
            print("the large run did not report back")
            return
        took = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(
            run["started_at"]
        )
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in run["phase_seconds"].items())
        print(
            f"run {run['id']} {run['status']}: {run['events_read']:,} events, "
            f"{run['patterns_found']} habits, {run['suggestions_created']} suggestions "
            f"in {took.total_seconds():.1f} s ({phases})"
        )
        if run["errors"]:
            print("run errors:", run["errors"][:5])
    server.should_exit = True
    await serving


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=26.0, help="simulation size (26: ~1M events)")
    parser.add_argument("--days", type=int, default=30, help="days of simulated history")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="baseline load time")
    parser.add_argument(
        "--simulate-beforehand",
        action="store_true",
        help="simulate the large home before the measured window, not in the run",
    )
    parser.add_argument("--runs", type=int, default=3, help="large analyses run back to back")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="load time limit")
    asyncio.run(_bench(parser.parse_args()))


if __name__ == "__main__":
    main()
