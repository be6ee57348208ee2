#!/usr/bin/env python
"""`make bench`: webhook-to-pop latency at scale, against the floor, as customers and call rates grow.

What it does, in one run:
  1. seeds two PostgreSQL databases (schema from the app's migrations, data by COPY): a small one
     (1,000 customers) and a big one (default 1,000,000), each customer with one or two E.164
     numbers, preferences and complaints; prints the seeding time;
  2. times the lookup alone (`recognition.recognize` on 2,000 random known numbers) on both;
  3. starts 2 gunicorn processes (one worker, --threads, threading mode) sharing PostgreSQL and
     Redis, plus THE FLOOR (scripts/bench_floor_app.py, one process, no validation, database or
     Redis), and connects M agent sockets (default 200) to each, from 2 asyncio client processes;
  4. at each call rate (default 10, 50, 200/s, then doubling until saturation) fires signed
     inbound-call webhooks for T seconds, alternating between the processes, each followed by
     `in-progress` and `completed` status callbacks, first at the floor and then at the app;
  5. repeats the app at 50/s on the small database, to show the cost does not grow with N;
  6. prints a table, writes bench-results/bench-<timestamp>.json and .png.

    .venv/bin/python scripts/bench.py                  # the full run (~15 min)
    .venv/bin/python scripts/bench.py --quick          # 1-minute smoke run
    .venv/bin/python scripts/bench.py --customers 100000 --agents 100 --rates 10,50 --seconds 10
    .venv/bin/python scripts/bench.py --publish        # also copy the JSON and plot to docs/

Server capacity: every websocket holds one of gunicorn's gthread threads for as long as it is open,
so `--threads` is set to the agents connected to that process plus 60 for webhooks and API calls
(200 agents over 2 processes: --threads 160; the floor, with all 200: --threads 260).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_agents import Agents  # noqa: E402
from scripts.bench_calls import SHARE_UNKNOWN, SHARE_WITHHELD, STATUS_DELAY_S, measure  # noqa: E402
from scripts.bench_load import (  # noqa: E402, F401  (prefixes: scripts/bench_search.py dials them too)
    ROOT,
    Numbers,
    create_database,
    prefixes,
    seed_database,
    time_lookups,
)
from scripts.bench_report import HEADER, plot, print_report, summarize  # noqa: E402
from scripts.bench_servers import (  # noqa: E402
    PROFILE_FORMATS,
    THREAD_HEADROOM,
    Server,
    start_app_servers,
    start_floor,
)
from tests.support import services  # noqa: E402

# --- the whole run ------------------------------------------------------------------------------

def next_rate(done: dict, planned: list[float], max_rate: float, keep_going: bool,
              narrow: bool = True) -> float | None:
    """The planned rates in order until one does not hold (saturation); then, between the last
    rate that held and the first that did not, halve the gap until it is within 25% (or 10 calls/s).
    With every planned rate held, keep doubling up to `max_rate`.
    """
    failed = sorted(rate for rate, r in done.items() if not r["holds"])
    for rate in planned:
        if rate not in done and (keep_going or not failed or rate < failed[0]):
            return rate
    if not narrow:
        return None
    held = sorted(rate for rate, r in done.items() if r["holds"])
    if not failed:
        top = max(done) if done else None
        return top * 2 if top and top * 2 <= max_rate else None
    high = failed[0]
    low = max([rate for rate in held if rate < high], default=0)
    if low == 0:  # not even the lowest rate held: halve it, down to 5 calls/s
        return round(high / 2) if high / 2 >= 5 else None
    if high - low <= max(10, 0.25 * low):
        return None
    middle = round((low + high) / 2)
    return middle if middle not in done else None


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    numbers = Numbers()
    sample = random.Random(1).sample(range(3 * args.customers + 1_000_000), 5000)
    from app.services.phone_numbers import normalize

    bad = [numbers(i) for i in sample if normalize(numbers(i)) != numbers(i)]
    if bad:
        raise SystemExit(f"generated numbers that phonenumbers refuses: {bad[:5]}")
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"customers": args.customers, "small_customers": args.small_customers, "agents": args.agents,
                   "rate": args.rate, "rates": args.rates, "seconds": args.seconds, "processes": 2,
                   "threads_per_process": -(-args.agents // 2) + THREAD_HEADROOM,
                   "floor_threads": args.agents + THREAD_HEADROOM, "client_processes": args.client_processes,
                   "status_callbacks": ["in-progress", "completed"], "status_delay_s": STATUS_DELAY_S,
                   "caller_mix": {"known": 1 - SHARE_UNKNOWN - SHARE_WITHHELD, "unknown": SHARE_UNKNOWN,
                                  "withheld": SHARE_WITHHELD},
                   "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "loadavg_at_start": os.getloadavg(),
        "seeding": {}, "lookups": {}, "floor": [], "sweep": [], "small": None,
    }
    databases: list[str] = []
    servers: list[Server] = []
    agents = None
    try:
        print(f"seeding PostgreSQL ({args.small_customers:,} and {args.customers:,} customers, "
              f"{args.agents} agents each)", flush=True)
        small_url = create_database()
        databases.append(small_url)
        small = seed_database(small_url, args.small_customers, args.agents, numbers)
        big_url = create_database()
        databases.append(big_url)
        big = seed_database(big_url, args.customers, args.agents, numbers)
        results["seeding"] = {name: {"customers": s.customers, "seconds": s.seconds, **s.rows}
                              for name, s in (("small", small), ("big", big))}

        print(f"timing the lookup alone ({args.lookups} random known numbers each)", flush=True)
        results["lookups"] = time_lookups({"small": small, "big": big}, args.lookups)
        for look in results["lookups"].values():
            print(f"  {look['customers']:>10,} customers: p50 {look['ms']['p50']:.2f} ms, mean {look['ms']['mean']:.2f} ms",
                  flush=True)

        print(f"starting 2 app processes ({results['config']['threads_per_process']} threads each) and the floor "
              f"({results['config']['floor_threads']} threads); connecting {args.agents} agents to each", flush=True)
        agents = Agents(args.client_processes)
        app_servers = start_app_servers(big, 2, args.agents, workdir, "big")
        floor = start_floor(args.agents, workdir)
        servers = [*app_servers, floor]
        app_agents = agents.connect(app_servers, big.tokens)
        floor_agents = agents.connect([floor], [f"floor-{i}" for i in range(args.agents)])
        time.sleep(1)

        print(HEADER, flush=True)
        # Unmeasured: pools fill, caches warm, as on a server that has been taking calls all morning.
        measure("(warm-up)", "floor", [floor], agents, floor_agents, None, numbers, 10, 3)
        measure("(warm-up)", "app", app_servers, agents, app_agents, big, numbers, 10, 3)
        done: dict[float, dict] = {}
        while (rate := next_rate(done, args.rates, args.max_rate if args.escalate else 0, args.keep_going,
                                        narrow=not args.quick)) is not None:
            results["floor"].append(measure("floor", "floor", [floor], agents, floor_agents, None, numbers,
                                            rate, args.seconds))
            profile = (Path(args.profile), args.profile_format) if args.profile and rate == args.rate else None
            done[rate] = measure("app", "app", app_servers, agents, app_agents, big, numbers,
                                 rate, args.seconds, profile)
            results["sweep"].append(done[rate])
        if args.rate not in done:
            results["floor"].append(measure("floor", "floor", [floor], agents, floor_agents, None, numbers,
                                            args.rate, args.seconds))
            done[args.rate] = measure("app", "app", app_servers, agents, app_agents, big, numbers,
                                      args.rate, args.seconds)
            results["sweep"].append(done[args.rate])

        agents.disconnect(app_agents)
        for server in app_servers:
            server.stop()
        small_servers = start_app_servers(small, 2, args.agents, workdir, "small")
        servers.extend(small_servers)
        small_agents = agents.connect(small_servers, small.tokens)
        time.sleep(1)
        measure("(warm-up)", "app", small_servers, agents, small_agents, small, numbers, 10, 3)
        results["small"] = measure("app", "app", small_servers, agents, small_agents, small, numbers,
                                   args.rate, args.seconds)
        results["loadavg_at_end"] = os.getloadavg()
        results["summary"] = summarize(results)
    except BaseException:
        for server in servers:
            print(f"--- last lines of {server.name}'s log ---\n" + server.log_path.read_text(errors="replace")[-2000:],
                  file=sys.stderr)
        raise
    finally:
        if agents is not None:
            agents.close()
        for server in servers:
            server.stop()
        for url in databases:
            services.drop_postgres_database(url)
        if args.keep_logs:
            print(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="the big database (default 1,000,000)")
    parser.add_argument("--small-customers", type=int, default=1_000, help="the small database (default 1,000)")
    parser.add_argument("--agents", type=int, default=200, help="agent sockets (default 200)")
    parser.add_argument("--rate", type=float, default=50, help="the headline rate, calls/s (default 50)")
    parser.add_argument("--rates", default="10,50,200", help="the sweep, calls/s (default 10,50,200)")
    parser.add_argument("--max-rate", type=float, default=800, help="stop doubling the rate here (default 800)")
    parser.add_argument("--no-escalate", dest="escalate", action="store_false",
                        help="only the rates listed (and the narrowing down), no doubling past them")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every listed rate even past saturation (default: stop at the first rate "
                             "that does not hold, then narrow down the highest that does)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of calls per run (default 20)")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups timed per database (default 2000)")
    parser.add_argument("--client-processes", type=int, default=2, help="agent client processes (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="1-minute smoke run: 10,000 customers, 50 agents, 10 and 50 calls/s, 5 s each")
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    parser.add_argument("--publish", action="store_true", help="also write docs/bench.json and docs/bench.png")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy the app's workers during the headline-rate run, into DIR")
    parser.add_argument("--profile-format", choices=sorted(PROFILE_FORMATS), default="flamegraph")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server logs")
    args = parser.parse_args(argv)
    if args.quick:
        # Just the listed rates, no narrowing down: a smoke test, not a measurement.
        args.customers, args.agents, args.rates, args.seconds, args.escalate = 10_000, 50, "10,50", 5, False
        args.keep_going = True
        args.lookups = min(args.lookups, 500)
    args.rates = [float(r) for r in str(args.rates).split(",") if r.strip()]
    args.rates = [int(r) if r.is_integer() else r for r in args.rates]
    args.rate = int(args.rate) if float(args.rate).is_integer() else args.rate
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # Stopped with kill (or Ctrl-C): the servers are stopped and the databases dropped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not (services.postgres_available() and services.redis_available()):
        print("make bench needs PostgreSQL and Redis: set TEST_POSTGRES_URL / TEST_REDIS_URL", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average is {load:.1f} before starting; other work skews these figures", flush=True)
    started = time.monotonic()
    results = run(args)
    results["duration_s"] = round(time.monotonic() - started, 1)
    print_report(results)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    json_path, png_path = out / f"bench-{stamp}.json", out / f"bench-{stamp}.png"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    plot(results, png_path)
    print(f"wrote {json_path} and {png_path} ({results['duration_s']:.0f} s in all)")
    if args.publish:
        shutil.copyfile(json_path, ROOT / "docs" / "bench.json")
        shutil.copyfile(png_path, ROOT / "docs" / "bench.png")
        print("copied to docs/bench.json and docs/bench.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
