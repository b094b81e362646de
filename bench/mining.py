"""How fast mine() is on big simulated homes: 100,000, 1,000,000 and 4,000,000 events.

Run: python bench/mining.py [--targets 100000 1000000 4000000]. Prints a table; asserts
nothing. Each size is simulated here, written to a Parquet file, then mined in a fresh
subprocess so that its memory figure is its own: "peak MB" is how far the resident memory
rose above its level after loading the frame during the mine() call (the peak is reset after
loading), and "process MB" the whole process's peak (ru_maxrss). Goal: 1M events in ≤ 5 s and ≤ 1.5 GB; 4M within 4.5× the 1M time.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]

_CHILD = """
import json, pickle, resource, sys, time
import polars as pl
from homehabits.patterns import mine

frame = pl.read_parquet(sys.argv[1])
with open(sys.argv[2], "rb") as handle:
    context, window_start, window_end = pickle.load(handle)
def status_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

try:  # forget the peak of loading, so the peak read after mine() is mine()'s own
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    reset = True
except OSError:
    reset = False
before = status_kb("VmRSS") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
found = mine(frame, context, window_start=window_start, window_end=window_end)
seconds = time.perf_counter() - started
after = status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"events": frame.height, "seconds": seconds, "habits": len(found),
                  "peak_kb": after - before, "rss_before_kb": before,
                  "process_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _size_for(events: int, small: tuple[float, int], large: tuple[float, int]) -> float:
    """The simulator's size factor for about this many events (events grow linearly with it)."""
    (size_a, count_a), (size_b, count_b) = small, large
    per_size = (count_b - count_a) / (size_b - size_a)
    return max(0.01, size_a + (events - count_a) / per_size)


def _measure(
    size: float, folder: Path, *, days: int = 30, noise: str = "default"
) -> dict[str, float]:
    from homehabits.sources.simulator import SimulationConfig, simulate_home

    home = simulate_home(SimulationConfig(size=size, days=days, noise=noise))
    import polars as pl

    from homehabits.events import ACTIONABLE_DOMAINS

    manual = home.frame.filter(
        pl.col("origin").cast(pl.String).is_in(["user", "device"])
        & pl.col("domain").is_in(list(ACTIONABLE_DOMAINS))
    ).height
    events = folder / f"home-{size:.2f}-{days}.parquet"
    home.frame.write_parquet(events)
    context = folder / f"home-{size:.2f}-{days}.pickle"
    context.write_bytes(pickle.dumps((home.context, home.window_start, home.window_end)))
    del home
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(events), str(context)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["manual"] = manual
    return result


def main() -> None:
    """Calibrate the simulator's size factor, then mine each size in a fresh process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="+", default=[100_000, 1_000_000, 4_000_000])
    parser.add_argument(
        "--long-days",
        type=int,
        nargs="*",
        default=[90, 180, 365],
        help="also mine homes of this many days at high noise (most events made by hand)",
    )
    args = parser.parse_args()
    from homehabits.sources.simulator import SimulationConfig, simulate_home

    small = (1.0, simulate_home(SimulationConfig(size=1.0)).frame.height)
    large = (10.0, simulate_home(SimulationConfig(size=10.0)).frame.height)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for target in args.targets:
            size = _size_for(target, small, large)
            rows.append((size, _measure(size, Path(folder))))
    print(
        f"{'size':>7} {'events':>10} {'seconds':>8} {'events/s':>11} {'peak MB':>8} "
        f"{'process MB':>10} {'habits':>6}"
    )
    for size, row in rows:
        print(
            f"{size:>7.2f} {int(row['events']):>10,} {row['seconds']:>8.2f} "
            f"{row['events'] / row['seconds']:>11,.0f} {row['peak_kb'] / 1024:>8.0f} "
            f"{row['process_peak_kb'] / 1024:>10.0f} {int(row['habits']):>6}"
        )
    by_events = {round(row["events"], -5): row for _, row in rows}
    one, four = by_events.get(1_000_000), by_events.get(4_000_000)
    if one and four:
        print(f"4M/1M time: {four['seconds'] / one['seconds']:.2f}× (goal ≤ 4.5×)")
    # Sensor chatter is filtered out first, so the rows above mostly measure that filter.
    # The miners' own work grows with what people do: homes with months of high-noise activity.
    long_rows = []
    with tempfile.TemporaryDirectory() as folder:
        for days in args.long_days:
            long_rows.append((days, _measure(1.0, Path(folder), days=days, noise="high")))
    print()
    print(f"{'days':>7} {'events':>10} {'by hand':>8} {'seconds':>8} {'× first':>8} {'habits':>6}")
    first = long_rows[0][1]["seconds"] if long_rows else 1.0
    for days, row in long_rows:
        print(
            f"{days:>7} {int(row['events']):>10,} {int(row['manual']):>8,} "
            f"{row['seconds']:>8.2f} {row['seconds'] / first:>8.2f} {int(row['habits']):>6}"
        )
    print()
    print("peak MB: the peak RSS during mine() (VmHWM, reset after loading the frame through")
    print("         /proc/self/clear_refs) minus the RSS before it; process MB: the mining")
    print("         process's whole peak (ru_maxrss), loading the frame included")


if __name__ == "__main__":
    main()
