"""What `make bench` reports: percentiles, the table, the plot, and the summary against the targets."""
from __future__ import annotations

from pathlib import Path

P99_LIMIT_MS = 100.0  # "holds the rate": p99 under this, nothing lost, no webhook failure
P99_HEADLINE_MS = 50.0  # the target at the headline rate (50 calls/s)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": ordered[-1]}


HEADER = (f"{'run':<18}{'N':>10}{'rate':>5}{'agents':>7}{'aud':>5}{'pops':>9}{'lost':>7}{'dup':>6}{'stray':>8}"
          f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'hook50':>8}{'hook99':>8}{'msg/call':>9}{'cpu s':>7}"
          f"{'us/msg':>7}{'load':>6}")
LEGEND = ("(aud: the audience per call, whose pops count; pops: pops the audience received; stray: pops to\n"
          " sockets outside it; pop and webhook (hook) times in ms; msg/call: pops and call updates delivered\n"
          " per call; cpu s: server worker CPU seconds; us/msg: that CPU per message delivered)")


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_row(r: dict) -> str:
    p, w = r["pop_ms"], r["webhook_ms"]
    return (f"{r['label']:<18}{r['customers']:>10,}{r['rate_per_s']:>5g}{r['agents']:>7}{r['audience_per_call']:>5g}"
            f"{r['pops_received']:>9,}{r['lost']:>7,}{r['duplicates']:>6,}{r['strays']:>8,}"
            f"{fmt(p['p50']):>8}{fmt(p['p95']):>8}{fmt(p['p99']):>8}{fmt(p['max']):>8}{fmt(w['p50']):>8}"
            f"{fmt(w['p99']):>8}{r['messages_per_call']:>9g}{sum(r['server_cpu_s'].values()):>7.1f}"
            f"{fmt(r['server_cpu_us_per_message']):>7}{max(r['loadavg_1m']):>6.1f}")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8))
    for runs, name, color in ((results["sweep"], "KnownCaller", "tab:blue"), (results["floor"], "floor", "tab:gray")):
        runs = sorted(runs, key=lambda r: r["rate_per_s"])
        rates = [r["rate_per_s"] for r in runs]
        for key, style in (("p50", ":"), ("p95", "--"), ("p99", "-")):
            ax.plot(rates, [r["pop_ms"][key] for r in runs], style, marker="o", color=color,
                    label=f"{name} {key}")
        lost = [r for r in runs if r["lost"]]
        if lost:
            ax.scatter([r["rate_per_s"] for r in lost], [r["pop_ms"]["p99"] for r in lost], s=120,
                       facecolors="none", edgecolors="red", zorder=5, label=f"{name}: pops lost" if name else None)
        bx.plot(rates, [r["webhook_ms"]["p50"] for r in runs], ":", marker="o", color=color, label=f"{name} p50")
        bx.plot(rates, [r["webhook_ms"]["p99"] for r in runs], "-", marker="o", color=color, label=f"{name} p99")
    crowd = results.get("crowd") or {}
    for kind, color in (("app", "tab:blue"), ("floor", "tab:gray")):
        r = crowd.get(kind)
        if r and r["pop_ms"]["p99"] is not None:
            ax.scatter([r["rate_per_s"]], [r["pop_ms"]["p99"]], marker="*", s=160, color=color, zorder=6,
                       label=f"{'KnownCaller' if kind == 'app' else 'floor'} p99, {r['agents']:,} agents")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    rates = sorted({r["rate_per_s"] for r in results["sweep"] + results["floor"]}
                   | {r["rate_per_s"] for r in (results.get("crowd") or {}).values()})
    for axis in (ax, bx):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(rates)
        axis.xaxis.set_major_formatter(ScalarFormatter())
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel("inbound calls per second")
        axis.grid(True, which="both", alpha=0.3)
    ax.axhline(P99_LIMIT_MS, color="red", lw=0.8, alpha=0.6)
    ax.axhline(P99_HEADLINE_MS, color="orange", lw=0.8, alpha=0.6)
    cfg = results["config"]
    ax.set_title(f"webhook → pop, {cfg['agents']} agents + {cfg['supervisors']} supervisors, "
                 f"{cfg['customers']:,} customers")
    ax.set_ylabel(f"ms (red: {P99_LIMIT_MS:g} ms limit, orange: {P99_HEADLINE_MS:g} ms target)")
    bx.set_title("webhook answer time seen by the provider")
    bx.set_ylabel("ms")
    ax.legend(fontsize=7, ncol=2)
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _held(runs: dict) -> list:
    return [rate for rate, r in runs.items() if r["holds"]]


def targets(results: dict) -> list[dict]:
    """Each target, what was measured, and whether it was met: "met", "missed", or "info" (a figure
    to read, not a target; or strays while the server still sends every pop to everyone)."""
    cfg = results["config"]
    sweep = {r["rate_per_s"]: r for r in results["sweep"]}
    floor = {r["rate_per_s"]: r for r in results["floor"]}
    rate = cfg["rate"]
    main, base = sweep.get(rate), floor.get(rate)
    shape = (f"{cfg['agents']} agents + {cfg['supervisors']} supervisors, {cfg['customers']:,} customers, "
             f"{cfg['processes']} processes, PostgreSQL + Redis")
    # The agents hold sockets and heartbeat; unless the run says otherwise they do not read what an
    # open desktop reads over HTTP by itself (bench.py --desktop-polls), and every target says so.
    if not cfg.get("desktop_polls"):
        shape += "; sockets only, no desktop HTTP polls"
    rows = []

    def add(target: str, measured: str, met: bool | None) -> None:
        rows.append({"target": target, "measured": measured,
                     "status": "info" if met is None else ("met" if met else "missed")})

    if main:
        p99 = main["pop_ms"]["p99"]
        add(f"at {rate:g} calls/s ({shape}): webhook→pop p99 ≤ {P99_HEADLINE_MS:g} ms",
            f"p99 {fmt(p99)} ms (p50 {fmt(main['pop_ms']['p50'])})", p99 is not None and p99 <= P99_HEADLINE_MS)
        add(f"at {rate:g} calls/s: nothing lost", f"{main['lost']:,} lost of {main['pops_expected']:,} expected",
            main["lost"] == 0)
        add(f"at {rate:g} calls/s: no duplicate", f"{main['duplicates']:,} duplicates", main["duplicates"] == 0)
        if main["targeted"]:
            add(f"at {rate:g} calls/s: no stray (pops reach only the call's audience)",
                f"{main['strays']:,} strays; {main['audience_per_call']:g} recipients and "
                f"{main['messages_per_call']:g} messages per call", main["strays"] == 0)
        else:
            add(f"at {rate:g} calls/s: no stray (pops reach only the call's audience)",
                f"{main['strays']:,} strays: this server sends every pop to everyone (before SPEC §11)", None)
    held = _held(sweep)
    top = max(cfg["rates"])
    best = max(held) if held else None
    add(f"up to {top:g} calls/s: the highest rate with p99 < {P99_LIMIT_MS:g} ms, nothing lost",
        f"{best:g} calls/s (p99 {fmt(sweep[best]['pop_ms']['p99'])} ms); rates run: "
        + ", ".join(f"{r:g}" for r in sorted(sweep)) if best is not None else
        "none held; rates run: " + ", ".join(f"{r:g}" for r in sorted(sweep)), best is not None and best >= top)
    crowd = (results.get("crowd") or {}).get("app")
    if crowd:
        p99 = crowd["pop_ms"]["p99"]
        add(f"{crowd['agents']:,} agents connected at {crowd['rate_per_s']:g} calls/s: p99 ≤ {P99_LIMIT_MS:g} ms, "
            f"nothing lost" + ("" if cfg.get("desktop_polls") else " (sockets only, no desktop HTTP polls)"), f"p99 {fmt(p99)} ms, {crowd['lost']:,} lost, {crowd['strays']:,} strays",
            p99 is not None and p99 <= P99_LIMIT_MS and crowd["lost"] == 0)
    if base:
        add(f"the floor at {rate:g} calls/s (same stack, only the emit; {base['floor_audience']})",
            f"p99 {fmt(base['pop_ms']['p99'])} ms (p50 {fmt(base['pop_ms']['p50'])}); the app's p50 "
            f"x{results['summary']['p50_vs_floor']}", None)
    lookups = results["lookups"]
    add(f"the lookup alone at {lookups['big']['customers']:,} vs {lookups['small']['customers']:,} customers",
        f"p50 {lookups['big']['ms']['p50']:.2f} vs {lookups['small']['ms']['p50']:.2f} ms "
        f"(x{results['summary']['lookup_ratio_p50']})", None)
    return rows


def summarize(results: dict) -> dict:
    sweep = {r["rate_per_s"]: r for r in results["sweep"]}
    floor = {r["rate_per_s"]: r for r in results["floor"]}
    cfg = results["config"]
    main_rate = cfg["rate"]
    main, base = sweep.get(main_rate), floor.get(main_rate)
    small = results.get("small")
    lookups = results["lookups"]
    held, held_floor = _held(sweep), _held(floor)

    def ratio(a, b):
        return round(a / b, 2) if a is not None and b else None

    summary = {
        "rate": main_rate,
        "p99_ms": main and main["pop_ms"]["p99"],
        "lost": main and main["lost"],
        "duplicates": main and main["duplicates"],
        "strays": main and main["strays"],
        "targeted": bool(main and main["targeted"]),
        "p50_vs_floor": main and base and ratio(main["pop_ms"]["p50"], base["pop_ms"]["p50"]),
        "p99_vs_floor": main and base and ratio(main["pop_ms"]["p99"], base["pop_ms"]["p99"]),
        "lookup_ratio_p50": round(lookups["big"]["ms"]["p50"] / lookups["small"]["ms"]["p50"], 2),
        "lookup_ratio_mean": round(lookups["big"]["ms"]["mean"] / lookups["small"]["ms"]["mean"], 2),
        "pop_p50_ratio_big_vs_small": main and small and ratio(main["pop_ms"]["p50"], small["pop_ms"]["p50"]),
        # The ratio means most below saturation, where neither side is just queueing.
        "p50_vs_floor_by_rate": {rate: ratio(r["pop_ms"]["p50"], floor[rate]["pop_ms"]["p50"])
                                 for rate, r in sorted(sweep.items()) if rate in floor and r["pop_ms"]["p50"]},
        "highest_rate_held": max(held) if held else None,
        "highest_rate_held_floor": max(held_floor) if held_floor else None,
    }
    results["summary"] = summary
    summary["targets"] = targets(results)
    summary["levers"] = [lever_row(r) for r in results.get("levers", [])]
    return summary


def lever_row(r: dict) -> dict:
    """What a lever changes, per call and per message."""
    return {"label": r["label"], "target": r["target"], "rate_per_s": r["rate_per_s"],
            "websocket_compression": r["websocket_compression"], "sockets_deflated": r["sockets_deflated"],
            "sockets": r["agents"] + r["supervisors"], "audience": r.get("floor_audience", "app"),
            "worker": r.get("worker", "gthread"),
            "messages_per_call": r["messages_per_call"], "server_cpu_ms_per_call": r["server_cpu_ms_per_call"],
            "server_cpu_us_per_message": r["server_cpu_us_per_message"], "p99_ms": r["pop_ms"]["p99"],
            "client_cpu_s": r["client_cpu_s"]}


def print_report(results: dict) -> None:
    print("\n" + HEADER)
    for key in ("floor", "sweep"):
        for r in sorted(results[key], key=lambda r: r["rate_per_s"]):
            print(table_row(r))
    for r in (results.get("crowd") or {}).values():
        print(table_row(r))
    for r in results.get("levers", []):
        print(table_row(r))
    if results.get("small"):
        print(table_row(results["small"]))
    print(LEGEND)
    for look in results["lookups"].values():
        ms = look["ms"]
        print(f"lookup alone, {look['customers']:>10,} customers: p50 {ms['p50']:.2f} ms, p99 {ms['p99']:.2f} ms, "
              f"mean {ms['mean']:.2f} ms ({look['lookups']} lookups; plan: {look['plan'][:70]})")
    polled = list(results["sweep"]) + list((results.get("crowd") or {}).values())
    for r in polled:
        if r.get("desktop_polls"):
            print(f"desktop polls at {r['rate_per_s']:g} calls/s, {r['agents']} agents: " + "; ".join(
                f"{kind} {p['per_s']}/s, {p['failures']} failed, p99 {fmt(p['ms']['p99'])} ms"
                for kind, p in r["desktop_polls"].items()))
    s = results["summary"]
    print(f"seeding {results['config']['customers']:,} customers: {results['seeding']['big']['seconds']:.1f} s")
    if s["levers"]:
        print(f"\n{'lever':<20}{'compression':>12}{'deflated':>10}{'audience':>10}{'msg/call':>9}{'ms/call':>9}"
              f"{'us/msg':>8}{'p99':>8}{'client s':>9}")
        for lever in s["levers"]:
            print(f"{lever['label']:<20}{'on' if lever['websocket_compression'] else 'off':>12}"
                  f"{lever['sockets_deflated']:>5}/{lever['sockets']:<4}{lever['audience']:>10}"
                  f"{lever['messages_per_call']:>9g}{lever['server_cpu_ms_per_call']:>9.2f}"
                  f"{fmt(lever['server_cpu_us_per_message']):>8}{fmt(lever['p99_ms']):>8}{lever['client_cpu_s']:>9.1f}")
        print("(ms/call and us/msg: server worker CPU per call and per websocket message delivered)")
    width = max(len(t["target"]) for t in s["targets"])
    print(f"\n{'target':<{width}} | measured | met/missed")
    for t in s["targets"]:
        print(f"{t['target']:<{width}} | {t['measured']} | {t['status']}")
