#!/usr/bin/env python
"""`make bench`: webhook-to-pop latency at scale, against the floor, reported against the targets.

What it does, in one run:
  1. seeds two PostgreSQL databases (schema from the app's migrations, data by COPY): a small one
     (1,000 customers) and a big one (default 1,000,000), each customer with one or two E.164
     numbers, preferences and complaints, and the users: 1,000 agents and 2 supervisors;
  2. times the lookup alone (`recognition.recognize` on 2,000 random known numbers) on both;
  3. starts 2 gunicorn processes (one worker, --threads, threading mode) sharing PostgreSQL and
     Redis, plus THE FLOOR (scripts/bench_floor_app.py, one process, no validation, database or
     Redis), and connects 200 agents and 2 supervisors to each, from 2 asyncio client processes;
  4. at each call rate (default 50, 70, 100/s, narrowing down where p99 passes 100 ms) fires
     signed inbound-call webhooks for 20 s, alternating between the processes, each followed by
     `in-progress` and `completed` status callbacks, first at the floor and then at the app;
  5. connects 1,000 agents instead and runs both at 20 calls/s;
  6. the levers, at 20 calls/s: the app with WEBSOCKET_COMPRESSION the other way, and the floor
     with and without compression, sending to the audience and to everyone;
  7. repeats the app at 50/s on the small database, to show the cost does not grow with N;
  8. prints the table and the targets (target | measured | met/missed), writes
     bench-results/bench-<timestamp>.json and .png.

    .venv/bin/python scripts/bench.py                  # the full run (~12 min)
    .venv/bin/python scripts/bench.py --quick          # 3-minute smoke run
    .venv/bin/python scripts/bench.py --customers 100000 --agents 100 --rates 10,50 --seconds 10
    .venv/bin/python scripts/bench.py --websocket-compression   # the main runs with compression on
    .venv/bin/python scripts/bench.py --publish        # also copy the JSON and plot to docs/

A call's pop counts only for its audience, read from the webhook's answer (scripts/bench_calls.py):
latency and loss over those deliveries, and copies to anyone else are strays.

Server capacity: every websocket holds one of gunicorn's gthread threads for as long as it is open,
so `--threads` is set to the sockets connected to that process plus 60 for webhooks and API calls
(202 sockets over 2 processes: --threads 161; the floor, with all 202: --threads 262).
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

from scripts.bench_agents import DESKTOP_POLLS, Agents  # noqa: E402
from scripts.bench_calls import SHARE_UNKNOWN, SHARE_WITHHELD, STATUS_DELAY_S, Target, measure  # noqa: E402
from scripts.bench_load import (  # noqa: E402, F401  (prefixes: scripts/bench_search.py dials them too)
    ROOT,
    Numbers,
    Seeded,
    create_database,
    prefixes,
    seed_database,
    time_lookups,
)
from scripts.bench_report import HEADER, plot, print_report, summarize  # noqa: E402
from scripts.bench_servers import (  # noqa: E402
    FLOOR_AUDIENCES,
    PROFILE_FORMATS,
    Server,
    start_app_servers,
    start_floor,
    threads_for,
)
from tests.support import services  # noqa: E402

PROCESSES = 2  # the app's gunicorn processes


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


# --- the targets: servers and the sockets connected to them --------------------------------------

class Bench:
    """What one run holds: the agent pool, the servers it started (stopped whatever happens), the
    numbers callers call from, and the options."""

    def __init__(self, args, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.pool = Agents(args.client_processes)
        self.numbers = Numbers()
        self.servers: list[Server] = []

    def app(self, seeded: Seeded, agents: int, tag: str, *, compression: bool) -> Target:
        """The app's processes with `agents` agents and the supervisors connected, spread over them."""
        supervisors = seeded.supervisors[:self.args.supervisors]
        users = seeded.agents[:agents] + supervisors
        servers = start_app_servers(seeded, PROCESSES, len(users), self.workdir, tag, compression=compression)
        self.servers.extend(servers)
        started = time.monotonic()
        ids, deflated = self.pool.connect(servers, [u.token for u in users], not self.args.no_client_deflate,
                                          polls=self.args.desktop_polls)
        return Target("app", servers, {u.username: i for u, i in zip(users[:agents], ids)},
                      frozenset(ids[agents:]), seeded, compression, deflated,
                      connect_s=round(time.monotonic() - started, 1))

    def floor(self, agents: int, tag: str, *, compression: bool, audience: str, gevent: bool = False) -> Target:
        """The floor, one process, with `agents` agents and the supervisors connected."""
        names = [f"floor-agent-{i}" for i in range(agents)]
        names += [f"floor-supervisor-{i}" for i in range(self.args.supervisors)]
        server = start_floor(len(names), self.workdir, tag, compression=compression, audience=audience,
                             gevent_path=self.args.floor_gevent if gevent else None)
        self.servers.append(server)
        started = time.monotonic()
        ids, deflated = self.pool.connect([server], names, not self.args.no_client_deflate)
        return Target("floor", [server], dict(zip(names[:agents], ids)), frozenset(ids[agents:]), None,
                      compression, deflated, audience, round(time.monotonic() - started, 1),
                      "gevent" if gevent else "gthread")

    def close(self, *targets: Target) -> None:
        for target in targets:
            self.pool.disconnect(target.socket_ids)
            for server in target.servers:
                server.stop()

    def measure(self, label: str, target: Target, rate: float, seconds: float, profile=None) -> dict:
        return measure(label, target, self.pool, self.numbers, rate, seconds, profile)

    def warm_up(self, *targets: Target, seconds: float = 3) -> None:
        """Unmeasured: pools fill, caches warm, as on a server that has been taking calls all morning."""
        time.sleep(1)
        for target in targets:
            self.measure("(warm-up)", target, 10, seconds)


def compression_name(on: bool) -> str:
    return "deflate" if on else "plain"


def floor_name(audience: str) -> str:
    return "floor" if audience == "targeted" else "floor-all"


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    bench = None
    numbers = Numbers()
    sample = random.Random(1).sample(range(3 * args.customers + 1_000_000), 5000)
    from app.services.phone_numbers import normalize

    bad = [numbers(i) for i in sample if normalize(numbers(i)) != numbers(i)]
    if bad:
        raise SystemExit(f"generated numbers that phonenumbers refuses: {bad[:5]}")
    sockets = args.agents + args.supervisors
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"customers": args.customers, "small_customers": args.small_customers, "agents": args.agents,
                   "supervisors": args.supervisors, "rate": args.rate, "rates": args.rates,
                   "max_rate": args.max_rate if args.escalate else None, "seconds": args.seconds,
                   "crowd_agents": args.crowd, "crowd_rate": args.crowd_rate, "crowd_seconds": args.crowd_seconds,
                   "lever_rate": args.lever_rate if args.levers else None, "lever_seconds": args.lever_seconds,
                   "websocket_compression": args.websocket_compression, "client_offers_deflate": not args.no_client_deflate,
                   "synchronized_heartbeats": args.synchronized_heartbeats,
                   "desktop_polls": None if not args.desktop_polls else
                   {kind: {"every_s": period, "paths": list(paths)} for kind, period, paths in DESKTOP_POLLS},
                   "floor_audience": args.floor_audience, "floor_gevent": args.floor_gevent is not None,
                   "processes": PROCESSES,
                   "threads_per_process": threads_for(sockets, PROCESSES), "floor_threads": threads_for(sockets),
                   "client_processes": args.client_processes,
                   "status_callbacks": ["in-progress", "completed"], "status_delay_s": STATUS_DELAY_S,
                   "caller_mix": {"known": 1 - SHARE_UNKNOWN - SHARE_WITHHELD, "unknown": SHARE_UNKNOWN,
                                  "withheld": SHARE_WITHHELD},
                   "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "loadavg_at_start": os.getloadavg(),
        "seeding": {}, "lookups": {}, "floor": [], "sweep": [], "crowd": {}, "levers": [], "small": None,
    }
    databases: list[str] = []
    try:
        print(f"seeding PostgreSQL ({args.small_customers:,} and {args.customers:,} customers, "
              f"{max(args.agents, args.crowd):,} agents and {args.supervisors} supervisors)", flush=True)
        small_url = create_database()
        databases.append(small_url)
        small = seed_database(small_url, args.small_customers, args.agents, args.supervisors, numbers)
        big_url = create_database()
        databases.append(big_url)
        big = seed_database(big_url, args.customers, max(args.agents, args.crowd), args.supervisors, numbers)
        results["seeding"] = {name: {"customers": s.customers, "seconds": s.seconds, **s.rows}
                              for name, s in (("small", small), ("big", big))}

        print(f"timing the lookup alone ({args.lookups} random known numbers each)", flush=True)
        results["lookups"] = time_lookups({"small": small, "big": big}, args.lookups)
        for look in results["lookups"].values():
            print(f"  {look['customers']:>10,} customers: p50 {look['ms']['p50']:.2f} ms, mean {look['ms']['mean']:.2f} ms",
                  flush=True)

        bench = Bench(args, workdir)
        mode = args.websocket_compression
        print(f"starting {PROCESSES} app processes ({results['config']['threads_per_process']} threads each, "
              f"WEBSOCKET_COMPRESSION={str(mode).lower()}) and the floor ({results['config']['floor_threads']} "
              f"threads, {args.floor_audience}); connecting {args.agents} agents and {args.supervisors} "
              f"supervisors to each", flush=True)
        app = bench.app(big, args.agents, "big", compression=mode)
        floor = bench.floor(args.agents, "floor", compression=mode, audience=args.floor_audience)
        print(HEADER, flush=True)
        bench.warm_up(floor, app)
        done: dict[float, dict] = {}
        while (rate := next_rate(done, args.rates, args.max_rate if args.escalate else 0, args.keep_going,
                                        narrow=args.narrow)) is not None:
            results["floor"].append(bench.measure("floor", floor, rate, args.seconds))
            profile = (Path(args.profile), args.profile_format) if args.profile and rate == args.rate else None
            done[rate] = bench.measure("app", app, rate, args.seconds, profile)
            results["sweep"].append(done[rate])
        if args.rate not in done:
            results["floor"].append(bench.measure("floor", floor, args.rate, args.seconds))
            done[args.rate] = bench.measure("app", app, args.rate, args.seconds)
            results["sweep"].append(done[args.rate])
        if args.levers:
            results["levers"].append(bench.measure(f"app {compression_name(mode)}", app, args.lever_rate,
                                                   args.lever_seconds))
            results["levers"].append(bench.measure(f"{floor_name(args.floor_audience)} {compression_name(mode)}",
                                                   floor, args.lever_rate, args.lever_seconds))
        bench.close(app, floor)

        if args.crowd:
            print(f"connecting {args.crowd:,} agents and {args.supervisors} supervisors to each", flush=True)
            app = bench.app(big, args.crowd, "crowd", compression=mode)
            floor = bench.floor(args.crowd, "floor-crowd", compression=mode, audience=args.floor_audience)
            print(f"  connected in {app.connect_s:.0f} s (app) and {floor.connect_s:.0f} s (floor)", flush=True)
            bench.warm_up(floor, app, seconds=2)
            results["crowd"]["floor"] = bench.measure(f"floor {args.crowd}", floor, args.crowd_rate, args.crowd_seconds)
            results["crowd"]["app"] = bench.measure(f"app {args.crowd}", app, args.crowd_rate, args.crowd_seconds)
            bench.close(app, floor)

        if args.levers:
            print(f"the levers at {args.lever_rate:g} calls/s: compression {compression_name(not mode)}, and the "
                  f"floor sending to the audience or to everyone", flush=True)
            for audience in FLOOR_AUDIENCES:
                for compression in (False, True):
                    if (audience, compression) == (args.floor_audience, mode):
                        continue  # measured with the main steps' floor
                    floor = bench.floor(args.agents, f"floor-{audience}-{compression_name(compression)}",
                                        compression=compression, audience=audience)
                    bench.warm_up(floor, seconds=2)
                    results["levers"].append(bench.measure(f"{floor_name(audience)} {compression_name(compression)}",
                                                           floor, args.lever_rate, args.lever_seconds))
                    bench.close(floor)
            if args.floor_gevent is not None:
                for audience in FLOOR_AUDIENCES:
                    floor = bench.floor(args.agents, f"floor-{audience}-gevent", compression=False, audience=audience,
                                        gevent=True)
                    bench.warm_up(floor, seconds=2)
                    results["levers"].append(bench.measure(f"{floor_name(audience)} gevent", floor, args.lever_rate,
                                                           args.lever_seconds))
                    bench.close(floor)
            app = bench.app(big, args.agents, "lever", compression=not mode)
            bench.warm_up(app, seconds=2)
            results["levers"].append(bench.measure(f"app {compression_name(not mode)}", app, args.lever_rate,
                                                   args.lever_seconds))
            bench.close(app)

        app = bench.app(small, args.agents, "small", compression=mode)
        bench.warm_up(app)
        results["small"] = bench.measure("app small N", app, args.rate, args.seconds)
        bench.close(app)
        results["loadavg_at_end"] = os.getloadavg()
        results["summary"] = summarize(results)
    except BaseException:
        for server in bench.servers if bench else []:
            print(f"--- last lines of {server.name}'s log ---\n" + server.log_path.read_text(errors="replace")[-2000:],
                  file=sys.stderr)
        raise
    finally:
        if bench is not None:
            bench.pool.close()
            for server in bench.servers:
                server.stop()
        for url in databases:
            services.drop_postgres_database(url)
        if args.keep_logs:
            print(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="the big database (default 1,000,000)")
    parser.add_argument("--small-customers", type=int, default=1_000, help="the small database (default 1,000)")
    parser.add_argument("--agents", type=int, default=200, help="agent sockets (default 200)")
    parser.add_argument("--supervisors", type=int, default=2,
                        help="supervisor sockets, in every call's audience (default 2)")
    parser.add_argument("--rate", type=_number, default=50, help="the headline rate, calls/s (default 50)")
    parser.add_argument("--rates", default="50,70,100", help="the sweep, calls/s (default 50,70,100)")
    parser.add_argument("--max-rate", type=_number, default=100,
                        help="with every listed rate held, double up to this (default 100: no further)")
    parser.add_argument("--no-escalate", dest="escalate", action="store_false",
                        help="only the rates listed (and the narrowing down), no doubling past them")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every listed rate even past saturation (default: stop at the first rate "
                             "that does not hold, then narrow down the highest that does)")
    parser.add_argument("--no-narrow", dest="narrow", action="store_false",
                        help="only the rates listed: no narrowing down to the highest that holds")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of calls per run (default 20)")
    parser.add_argument("--crowd", type=int, default=1000,
                        help="agents connected for the crowd step (default 1,000; 0 skips it)")
    parser.add_argument("--crowd-rate", type=_number, default=20, help="the crowd step's rate (default 20)")
    parser.add_argument("--crowd-seconds", type=float, default=10, help="the crowd step's length (default 10)")
    parser.add_argument("--no-levers", dest="levers", action="store_false",
                        help="skip the levers (compression either way, the floor to everyone)")
    parser.add_argument("--lever-rate", type=_number, default=20, help="the levers' rate, calls/s (default 20)")
    parser.add_argument("--lever-seconds", type=float, default=15, help="each lever run's length (default 15)")
    parser.add_argument("--websocket-compression", action="store_true",
                        help="run the main steps with WEBSOCKET_COMPRESSION=true (default false, as the app); "
                             "the levers run the other setting")
    parser.add_argument("--no-client-deflate", action="store_true",
                        help="agents do not offer permessage-deflate (browsers always do)")
    parser.add_argument("--synchronized-heartbeats", action="store_true",
                        help="every agent heartbeats 30 s after its own connect, so a crowd that connected within "
                             "seconds beats in one wave every 30 s (default: as desktops, one on connect, then each "
                             "on its own phase)")
    parser.add_argument("--desktop-polls", action="store_true",
                        help="each of the app's agents also reads what an open desktop reads over HTTP by itself: "
                             "active calls every 30 s, its follow-ups, figures and care list every 60 s (default: "
                             "sockets and heartbeats only, as every published run so far; the targets then say so)")
    parser.add_argument("--floor-gevent", nargs="?", const="", metavar="DIR",
                        help="the levers also run the floor on gevent (uncompressed), gevent importable from the "
                             "venv or from DIR (e.g. pip install --target DIR gevent); not a project requirement")
    parser.add_argument("--floor-audience", choices=FLOOR_AUDIENCES, default="targeted",
                        help="the floor of the main steps sends to each call's audience, or to everyone")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups timed per database (default 2000)")
    parser.add_argument("--client-processes", type=int, default=2, help="agent client processes (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="3-minute smoke run: 10,000 customers, 50 agents, 10 and 50 calls/s, 5 s each; "
                             "200 agents for the crowd step")
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
        args.keep_going, args.narrow = True, False
        args.lookups = min(args.lookups, 500)
        args.crowd, args.crowd_seconds, args.lever_seconds = min(args.crowd, 200), 5, 5
    args.rates = [_number(r) for r in str(args.rates).split(",") if r.strip()]
    if args.synchronized_heartbeats:
        os.environ["KC_BENCH_SYNCHRONIZED_HEARTBEATS"] = "1"  # read by the agent processes, started later
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
