"""What `make bench` reports: percentiles, the table, the plot, and the summary against the targets."""
from __future__ import annotations

from pathlib import Path

P99_LIMIT_MS = 100.0  # "holds the rate": p99 under this, nothing lost, no webhook failure


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": ordered[-1]}


HEADER = (f"{'run':<12}{'N':>10}{'rate':>6}{'agents':>7}{'pops':>10}{'lost':>9}{'dup':>7}"
          f"{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'hook p50':>9}{'hook p99':>9}{'cpu s':>7}{'load':>6}")


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_row(r: dict) -> str:
    p, w = r["pop_ms"], r["webhook_ms"]
    return (f"{r['label']:<12}{r['customers']:>10,}{r['rate_per_s']:>6g}{r['agents']:>7}{r['pops_received']:>10,}"
            f"{r['lost']:>9,}{r['duplicates']:>7,} {fmt(p['p50']):>8} {fmt(p['p95']):>8} {fmt(p['p99']):>8}"
            f" {fmt(p['max']):>8} {fmt(w['p50']):>8} {fmt(w['p99']):>8}{sum(r['server_cpu_s'].values()):>7.1f}"
            f"{max(r['loadavg_1m']):>6.1f}")


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
    for axis in (ax, bx):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("inbound calls per second")
        axis.grid(True, which="both", alpha=0.3)
    ax.axhline(P99_LIMIT_MS, color="red", lw=0.8, alpha=0.6)
    ax.axhline(50, color="orange", lw=0.8, alpha=0.6)
    cfg = results["config"]
    ax.set_title(f"webhook → pop, {cfg['agents']} agents, {cfg['customers']:,} customers")
    ax.set_ylabel("ms (red: 100 ms limit, orange: 50 ms target)")
    bx.set_title("webhook answer time seen by the provider")
    bx.set_ylabel("ms")
    ax.legend(fontsize=7, ncol=2)
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize(results: dict) -> dict:
    sweep = {r["rate_per_s"]: r for r in results["sweep"]}
    floor = {r["rate_per_s"]: r for r in results["floor"]}
    cfg = results["config"]
    main_rate = cfg["rate"]
    main, base = sweep.get(main_rate), floor.get(main_rate)
    small = results.get("small")
    lookups = results["lookups"]
    held = [rate for rate, r in sweep.items() if r["holds"]]
    held_floor = [rate for rate, r in floor.items() if r["holds"]]
    summary = {
        "rate": main_rate,
        "p99_ms": main and main["pop_ms"]["p99"],
        "lost": main and main["lost"],
        "p50_vs_floor": main and base and round(main["pop_ms"]["p50"] / base["pop_ms"]["p50"], 2),
        "p99_vs_floor": main and base and round(main["pop_ms"]["p99"] / base["pop_ms"]["p99"], 2),
        "lookup_ratio_p50": round(lookups["big"]["ms"]["p50"] / lookups["small"]["ms"]["p50"], 2),
        "lookup_ratio_mean": round(lookups["big"]["ms"]["mean"] / lookups["small"]["ms"]["mean"], 2),
        "pop_p50_ratio_big_vs_small": (main and small and round(main["pop_ms"]["p50"] / small["pop_ms"]["p50"], 2)),
        # The ratio means most below saturation, where neither side is just queueing.
        "p50_vs_floor_by_rate": {rate: round(r["pop_ms"]["p50"] / floor[rate]["pop_ms"]["p50"], 2)
                                 for rate, r in sorted(sweep.items()) if rate in floor and r["pop_ms"]["p50"]},
        "highest_rate_held": max(held) if held else None,
        "highest_rate_held_floor": max(held_floor) if held_floor else None,
    }
    summary["targets"] = {
        "p99 <= 50 ms at 50/s, nothing lost": bool(main and main["pop_ms"]["p99"] is not None
                                                    and main["pop_ms"]["p99"] <= 50 and main["lost"] == 0),
        "p50 within 2x of the floor": bool(summary["p50_vs_floor"] is not None and summary["p50_vs_floor"] <= 2),
        "lookup at N big within 1.2x of N small": summary["lookup_ratio_p50"] <= 1.2,
    }
    return summary


def print_report(results: dict) -> None:
    print("\n" + HEADER)
    for r in sorted(results["floor"], key=lambda r: r["rate_per_s"]):
        print(table_row(r))
    for r in sorted(results["sweep"], key=lambda r: r["rate_per_s"]):
        print(table_row(r))
    if results.get("small"):
        print(table_row(results["small"]))
    print("(pop and webhook times in ms; cpu s = server worker CPU seconds during the run)")
    for look in results["lookups"].values():
        ms = look["ms"]
        print(f"lookup alone, {look['customers']:>10,} customers: p50 {ms['p50']:.2f} ms, p99 {ms['p99']:.2f} ms, "
              f"mean {ms['mean']:.2f} ms ({look['lookups']} lookups; plan: {look['plan'][:70]})")
    s = results["summary"]
    print(f"seeding {results['config']['customers']:,} customers: {results['seeding']['big']['seconds']:.1f} s")
    print(f"at {s['rate']}/s: p99 {fmt(s['p99_ms'])} ms, lost {s['lost']}; p50 x{s['p50_vs_floor']} and "
          f"p99 x{s['p99_vs_floor']} the floor; lookup x{s['lookup_ratio_p50']} (p50) from "
          f"{results['lookups']['small']['customers']:,} to {results['lookups']['big']['customers']:,} customers; "
          f"highest rate held (p99 < {P99_LIMIT_MS:g} ms, nothing lost): {s['highest_rate_held']}/s "
          f"(floor: {s['highest_rate_held_floor']}/s)")
    for target, met in s["targets"].items():
        print(f"  [{'met' if met else 'MISSED'}] {target}")
