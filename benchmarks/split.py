"""What running a world region by region does: Heze whole against Heze split by county.

The national run (taobao_sim.experiments.national) simulates each region as a world
of its own, so weak ties between villages (``world.inter_village_ties``) and
commuting (``labour.commute_km``) stop at the region's border, and each region faces
a share of the national market proportional to its households
(``market.market_scale``). Heze (9 counties, 4,694 villages, 2.8 million households)
is small enough to run whole, so the approximation can be measured against the
truth at county scale:

* whole: Heze as one world, replicate r seeded ``SeedSequence(2010, spawn_key=(r,))``
  (the seeds of ``simulate(s, replicates=R, seed=2010)``; each universe is run alone,
  which gives the same numbers as the batch and a third of the memory);
* split: each county as a world of its own, with ``market.market_scale`` = county
  households / Heze households, replicate r of county c (in file order) seeded
  ``SeedSequence(2010, spawn_key=(r, c))``; counts summed over counties.

Both count Taobao villages and Taobao towns per year
(taobao_sim.output.metrics.taobao_villages / taobao_towns). The script also measures
the share of weak ties, and of commuting links, that cross county borders in the
whole world: that is what the split cuts (it redraws those ties inside the county).

Usage: python benchmarks/split.py [--replicates 3] [--end 2018-12] [--quick]
Writes benchmarks/split-results.json (or --out) and prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import platform
import time
from pathlib import Path

import numba
import numpy as np

from taobao_sim import load_scenario
from taobao_sim.core.rng import spawned_seed
from taobao_sim.core.scenario import Scenario
from taobao_sim.core.world import build_world, commuting_reach
from taobao_sim.engines.fast import simulate_universes
from taobao_sim.output import metrics

ROOT = Path(__file__).resolve().parents[1]
ROOT_SEED = 2010


def base_scenario(end: str) -> Scenario:
    """Heze, shortened to ``end``, without targets (a run ending before 2018 has none)."""
    s = load_scenario(ROOT / "scenarios" / "heze.toml")
    return s.replace({"end": end, "targets": "none"})


def counties_of(s: Scenario) -> list[str]:
    """County names in order of first appearance in the village file."""
    return list(dict.fromkeys(v.county for v in s.villages))


def county_scenario(s: Scenario, county: str) -> Scenario:
    """``s`` restricted to one county's villages, facing its households' share of the
    market. ``Scenario.replace`` changes scalar keys only, so the villages are swapped
    first and the result then goes through ``replace`` (which re-runs the scenario's
    cross-checks on the new villages: focus village, categories' demand series)."""
    villages = tuple(v for v in s.villages if v.county == county)
    share = sum(v.households for v in villages) / s.households
    sub = dataclasses.replace(s, villages=villages)
    return sub.replace({"market.market_scale": float(s["market.market_scale"]) * share,
                        "focus_village": "", "targets": "none"})


def counts(out) -> dict[str, np.ndarray]:
    """Per year (of one universe): Taobao villages, Taobao towns, December shops,
    sales (yuan), and Taobao villages by county (years, counties)."""
    years, status = metrics.taobao_villages(out)
    _, _, towns = metrics.taobao_towns(out)
    _, shops = metrics.yearly(out, "shops", how="december")
    _, sales = metrics.yearly(out, "sales_yuan")
    names, by_county = metrics.by_county(out, status.astype(np.int64))
    return {"years": years, "villages": status.sum(axis=2)[0], "towns": towns.sum(axis=2)[0],
            "shops": shops[0], "sales_yuan": sales[0],
            "county_names": names, "villages_by_county": by_county[0]}


def run_one(s: Scenario, seed: int, replicate: int) -> tuple[dict, float]:
    t = time.perf_counter()
    out = simulate_universes([s], [seed], [replicate], panel=False)
    c = counts(out)
    del out
    gc.collect()
    return c, time.perf_counter() - t


def run_whole(s: Scenario, replicates: int) -> tuple[list[dict], list[float]]:
    results, times = [], []
    for r in range(replicates):
        c, sec = run_one(s, spawned_seed(ROOT_SEED, (r,)), r)
        results.append(c)
        times.append(sec)
        print(f"  whole replicate {r}: {sec:.0f} s, Taobao villages in {int(c['years'][-1])}"
              f" = {int(c['villages'][-1])}", flush=True)
    return results, times


def run_split(s: Scenario, replicates: int) -> tuple[list[dict], list[float]]:
    names = counties_of(s)
    subs = [county_scenario(s, name) for name in names]
    results, times = [], []
    for r in range(replicates):
        t = time.perf_counter()
        parts = []
        for ci, sub in enumerate(subs):
            c, _sec = run_one(sub, spawned_seed(ROOT_SEED, (r, ci)), r)
            parts.append(c)
        years = parts[0]["years"]
        total = {k: sum(p[k] for p in parts) for k in ("villages", "towns", "shops",
                                                        "sales_yuan")}
        total["years"] = years
        total["county_names"] = names
        total["villages_by_county"] = np.stack([p["villages_by_county"][:, 0] for p in parts],
                                               axis=1)
        results.append(total)
        times.append(time.perf_counter() - t)
        print(f"  split replicate {r}: {times[-1]:.0f} s, Taobao villages in "
              f"{int(years[-1])} = {int(total['villages'][-1])}", flush=True)
    return results, times


def cut_links(s: Scenario) -> dict:
    """Share of weak ties (ties between households of different villages) and of
    commuting links (village pairs within labour.commute_km) that join two counties,
    in the whole world's replicate 0."""
    names = counties_of(s)
    county = np.array([names.index(v.county) for v in s.villages])
    sizes = np.array([v.households for v in s.villages], dtype=np.int64)
    world = build_world([s], [spawned_seed(ROOT_SEED, (0,))])
    village_of = np.repeat(np.arange(len(sizes)), sizes)
    src = np.repeat(village_of, np.diff(world.ties_ptr))
    dst = village_of[world.ties_idx]
    del world
    gc.collect()
    weak = src != dst  # ring ties stay in the village; weak ties never do
    cross = weak & (county[src] != county[dst])
    n_ties, n_weak, n_cross = int(src.size), int(weak.sum()), int(cross.sum())
    nb, _dist = commuting_reach(s)
    pairs = nb >= 0
    origin = np.broadcast_to(np.arange(len(sizes))[:, None], nb.shape)[pairs]
    dest = nb[pairs]
    cross_commute = county[origin] != county[dest]
    return {
        "ties": n_ties, "weak_ties": n_weak, "cross_county_weak_ties": n_cross,
        "share_of_weak_ties_cut": n_cross / n_weak if n_weak else 0.0,
        "share_of_all_ties_cut": n_cross / n_ties if n_ties else 0.0,
        "commute_links": int(pairs.sum()), "cross_county_commute_links": int(cross_commute.sum()),
        "share_of_commute_links_cut": float(cross_commute.mean()) if cross_commute.size else 0.0,
        "villages_with_cross_county_commute_link": int(np.unique(origin[cross_commute]).size),
    }


def summarise(whole: list[dict], split: list[dict], key: str) -> list[dict]:
    years = whole[0]["years"]
    rows = []
    for j, y in enumerate(years):
        w = np.array([float(c[key][j]) for c in whole])
        p = np.array([float(c[key][j]) for c in split])
        rows.append({
            "year": int(y), "whole": w.tolist(), "split": p.tolist(),
            "whole_mean": float(w.mean()), "whole_min": float(w.min()),
            "whole_max": float(w.max()),
            "split_mean": float(p.mean()), "split_min": float(p.min()),
            "split_max": float(p.max()),
            "difference_percent": (float(100.0 * (p.mean() - w.mean()) / w.mean())
                                   if w.mean() > 0 else None),
        })
    return rows


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.1f}"


def table(rows: list[dict], title: str) -> str:
    lines = [title, f"{'year':>4}  {'whole mean (min-max)':>24}  {'split mean (min-max)':>24}"
             f"  {'diff %':>7}"]
    for r in rows:
        w = f"{_fmt(r['whole_mean'])} ({_fmt(r['whole_min'])}-{_fmt(r['whole_max'])})"
        p = f"{_fmt(r['split_mean'])} ({_fmt(r['split_min'])}-{_fmt(r['split_max'])})"
        d = "-" if r["difference_percent"] is None else f"{r['difference_percent']:+.1f}"
        lines.append(f"{r['year']:>4}  {w:>24}  {p:>24}  {d:>7}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=3)
    ap.add_argument("--end", default="2018-12", help="last month (YYYY-MM)")
    ap.add_argument("--quick", action="store_true", help="1 replicate, to 2016-12")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "split-results.json"))
    args = ap.parse_args()
    if args.quick:
        args.replicates, args.end = 1, "2016-12"

    t0 = time.perf_counter()
    s = base_scenario(args.end)
    names = counties_of(s)
    print(f"Heze: {len(s.villages):,} villages, {s.households:,} households, "
          f"{len(names)} counties, {s['start']} to {args.end}, {args.replicates} replicate(s), "
          f"{numba.get_num_threads()} threads", flush=True)

    t = time.perf_counter()
    links = cut_links(s)
    links_seconds = time.perf_counter() - t
    print(f"weak ties crossing county borders: {links['cross_county_weak_ties']:,} of "
          f"{links['weak_ties']:,} ({100 * links['share_of_weak_ties_cut']:.1f}%; "
          f"{100 * links['share_of_all_ties_cut']:.2f}% of all ties); commuting links: "
          f"{100 * links['share_of_commute_links_cut']:.1f}%", flush=True)

    print("whole:", flush=True)
    whole, whole_times = run_whole(s, args.replicates)
    print("split by county:", flush=True)
    split, split_times = run_split(s, args.replicates)

    villages = summarise(whole, split, "villages")
    towns = summarise(whole, split, "towns")
    shops = summarise(whole, split, "shops")
    sales = summarise(whole, split, "sales_yuan")
    last = -1
    by_county = {
        name: {"households": sum(v.households for v in s.villages if v.county == name),
               "whole_mean": float(np.mean([c["villages_by_county"][last, k] for c in whole])),
               "split_mean": float(np.mean([c["villages_by_county"][last, k] for c in split]))}
        for k, name in enumerate(names)}
    result = {
        "scenario": "scenarios/heze.toml", "start": s["start"], "end": args.end,
        "replicates": args.replicates, "root_seed": ROOT_SEED,
        "households": s.households, "villages": len(s.villages), "counties": names,
        "market_scale_of_county": {n: by_county[n]["households"] / s.households for n in names},
        "cut_links": links,
        "taobao_villages": villages, "taobao_towns": towns,
        "december_shops": shops, "sales_yuan": sales,
        "taobao_villages_by_county_last_year": by_county,
        "seconds": {"whole_per_replicate": whole_times, "split_per_replicate": split_times,
                    "cut_links": links_seconds, "total": time.perf_counter() - t0},
        "machine": {"threads": numba.get_num_threads(), "python": platform.python_version()},
    }
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")

    print()
    print(table(villages, "Taobao villages"))
    print()
    print(table(towns, "Taobao towns"))
    print()
    print(table(shops, "Active shops (December)"))
    print()
    print(f"Taobao villages in {int(whole[0]['years'][last])} by county (whole / split):")
    for n in names:
        b = by_county[n]
        print(f"  {n:<10} {b['households']:>8,} hh  {b['whole_mean']:>7.1f} / "
              f"{b['split_mean']:.1f}")
    each = ", ".join(f"{x:.0f}" for x in whole_times)
    parts = ", ".join(f"{x:.0f}" for x in split_times)
    print(f"\nseconds: whole {sum(whole_times):.0f} ({each}), split {sum(split_times):.0f} "
          f"({parts}), total {time.perf_counter() - t0:.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
