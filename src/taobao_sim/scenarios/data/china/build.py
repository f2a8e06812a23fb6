"""Build provinces.csv from the raw extracts in ./raw (plain Python, standard library only).

Run:  python build.py        (writes provinces.csv next to this file and prints national totals)

Every estimate made here is described in README.md; the constants below are the knobs.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"


# --- national anchors (raw/national_figures.csv) -------------------------------------------
def load_national():
    out = {}
    with open(RAW / "national_figures.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[(r["item"], int(r["year"]))] = float(r["value"])
    return out


# --- proxy parameters (assumptions, see README) --------------------------------------------
INTERNET_U_LOW, INTERNET_Y_LOW = 0.25, 2016.5  # 2010 urban share 25% -> mid-2016
INTERNET_U_HIGH, INTERNET_Y_HIGH = 0.65, 2009.5  # 2010 urban share 65% -> mid-2009
INTERNET_MIN, INTERNET_MAX = 2008.0, 2017.0
COURIER_LAG_YEARS = 1.5  # courier reaches villages ~18 months after internet
COURIER_MAX = 2018.5
RURAL_HH_RATIO_2010 = 3.34 / 3.10  # assumed national rural / all family-household size (see README)

HUBS = {  # main e-commerce / logistics hubs (city-centre coordinates, rounded)
    "Hangzhou": (30.27, 120.16),
    "Yiwu": (29.31, 120.08),
    "Shanghai": (31.23, 121.47),
    "Guangzhou": (23.13, 113.26),
    "Shenzhen": (22.54, 114.06),
}


def haversine_km(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def ym(x: float) -> str:
    """Decimal year -> YYYY-MM (month = floor of the fractional year * 12, +1)."""
    y = math.floor(x)
    m = math.floor((x - y) * 12) + 1
    return f"{y:04d}-{min(m, 12):02d}"


def num(s):
    s = (s or "").strip()
    if s in ("", "NA"):
        return None
    return float(s)


def main():
    nat = load_national()
    with open(RAW / "province_base.csv", encoding="utf-8") as f:
        base = list(csv.DictReader(f))
    codes = [r["code"] for r in base]
    with open(RAW / "township_units_by_province_2022.csv", encoding="utf-8") as f:
        town = {r["province_code"]: r for r in csv.DictReader(f)}
    with open(RAW / "industry_base_tiers.csv", encoding="utf-8") as f:
        ind = {r["code"]: float(r["industry_base"]) for r in csv.DictReader(f)}

    # ---- census: urban/rural shares from the city-level table (cities with complete data) ----
    agg = defaultdict(lambda: defaultdict(float))
    hh_rows = defaultdict(list)  # (rural_share_2010, household_2010, pop_2010)
    with open(RAW / "census_city_2010_2020_leiii.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code = r["province_code"][:2]
            if code not in codes:
                continue
            for yr in ("2010", "2020"):
                u, ru = num(r[f"popu_urban_{yr}"]), num(r[f"popu_rural_{yr}"])
                if u is not None and ru is not None and u + ru > 0:
                    agg[code][f"u{yr}"] += u
                    agg[code][f"r{yr}"] += ru
            u, ru, hh = (
                num(r["popu_urban_2010"]),
                num(r["popu_rural_2010"]),
                num(r["household_2010"]),
            )
            if u is not None and ru is not None and hh is not None and u + ru > 0:
                hh_rows[code].append((ru / (u + ru), hh, u + ru))

    rural_share = {}
    for b in base:
        c = b["code"]
        a = agg[c]
        s10 = a["r2010"] / (a["u2010"] + a["r2010"])
        if a["u2020"] + a["r2020"] > 0:
            s20, note20 = a["r2020"] / (a["u2020"] + a["r2020"]), ""
        else:
            s20, note20 = None, "no city-level 2020 urban/rural split in S2"
        rural_share[c] = (s10, s20, note20)

    # Xinjiang 2020: S2 has no urban/rural split. Estimate: Xinjiang 2010 rural share
    # times the national ratio of rural shares 2020/2010 (S1: 36.11% / 50.32%). Then both
    # years are rescaled uniformly so the 31-province sums equal the published national
    # rural totals (S1).
    for b in base:
        c = b["code"]
        if rural_share[c][1] is None:
            s = rural_share[c][0] * (0.3611 / 0.5032)
            rural_share[c] = (
                rural_share[c][0],
                s,
                "2020 rural share estimated from 2010 share x national trend",
            )
    scale = {}
    for i, yr in ((0, 2010), (1, 2020)):
        tot = sum(float(b[f"pop_census_{yr}"]) * rural_share[b["code"]][i] for b in base)
        scale[yr] = nat[("rural_residents_census", yr)] / tot
    rural_share = {
        c: (v[0] * scale[2010], v[1] * scale[2020], v[2]) for c, v in rural_share.items()
    }

    # ---- rural household size 2010: pooled within-province slope of city household
    # size on rural share
    num_, den_ = 0.0, 0.0
    prov_mean = {}
    for c, rows in hh_rows.items():
        w = sum(p for _, _, p in rows)
        ms = sum(s * p for s, _, p in rows) / w
        mh = sum(h * p for _, h, p in rows) / w
        prov_mean[c] = (ms, mh)
        for s, h, p in rows:
            num_ += p * (s - ms) * (h - mh)
            den_ += p * (s - ms) ** 2
    slope = num_ / den_

    # ---- villages (villagers' committees), see README "villages" --------------------------------
    urban2020 = {
        b["code"]: float(b["pop_census_2020"]) * (1 - rural_share[b["code"]][1]) for b in base
    }
    tot_urban = sum(urban2020.values())
    j_nat = nat[("residents_committees", 2020)]
    v_raw = {}
    for b in base:
        c = b["code"]
        T, R = float(b["nbs_village_level_units_2022"]), float(b["nbs_rural_units_2022"])
        J = j_nat * urban2020[c] / tot_urban  # residents' committees ~ urban population
        v_raw[c] = max(R, T - J)  # villages at least the rural-coded units
    k20 = nat[("villagers_committees", 2020)] / sum(v_raw.values())
    v20 = {c: v_raw[c] * k20 for c in codes}
    v09_raw = {
        b["code"]: float(b["nbs_rural_units_2009"])
        * v20[b["code"]]
        / float(b["nbs_rural_units_2022"])
        for b in base
    }
    k09 = nat[("villagers_committees", 2009)] / sum(v09_raw.values())
    v09 = {c: v09_raw[c] * k09 for c in codes}

    # ---- write ----------------------------------------------------------------------------------
    cols = [
        "province",
        "province_zh",
        "code",
        "counties",
        "townships",
        "villages_2009",
        "villages_2020",
        "villages_note",
        "rural_residents_2010",
        "rural_residents_2020",
        "rural_household_size_2010",
        "internet_from",
        "courier_from",
        "industry_base",
        "distance_km",
        "nearest_hub",
        "lat",
        "lon",
        "area_km2",
        "sources",
        "notes",
    ]
    rows = []
    for b in base:
        c = b["code"]
        s10, s20, note20 = rural_share[c]
        rr10 = round(float(b["pop_census_2010"]) * s10)
        rr20 = round(float(b["pop_census_2020"]) * s20)
        ms, mh = prov_mean[c]
        hh_r = mh * RURAL_HH_RATIO_2010  # all-household mean (S2) x assumed rural ratio
        # the regression extrapolation mh + slope * (1 - ms) is an upper bound, not used
        u10 = 1 - s10
        t = (u10 - INTERNET_U_LOW) / (INTERNET_U_HIGH - INTERNET_U_LOW)
        inet = INTERNET_Y_LOW + t * (INTERNET_Y_HIGH - INTERNET_Y_LOW)
        inet = min(max(inet, INTERNET_MIN), INTERNET_MAX)
        cour = min(inet + COURIER_LAG_YEARS, COURIER_MAX)
        lat, lon = float(b["capital_lat"]), float(b["capital_lon"])
        hub, dist = min(
            ((h, haversine_km(lat, lon, *xy)) for h, xy in HUBS.items()), key=lambda z: z[1]
        )
        tw = town[c]
        notes = [f"capital {b['capital']}"]
        if note20:
            notes.append(note20)
        rows.append(
            {
                "province": b["province"],
                "province_zh": b["province_zh"],
                "code": c,
                "counties": int(tw["county_level_units"]),
                "townships": int(tw["towns"]) + int(tw["townships"]),
                "villages_2009": round(v09[c]),
                "villages_2020": round(v20[c]),
                "villages_note": "estimated: NBS division-code counts (2009 and 2022 editions) "
                "scaled to MCA national totals",
                "rural_residents_2010": rr10,
                "rural_residents_2020": rr20,
                "rural_household_size_2010": f"{hh_r:.2f}",
                "internet_from": ym(inet),
                "courier_from": ym(cour),
                "industry_base": f"{ind[c]:.3f}",
                "distance_km": round(dist),
                "nearest_hub": hub,
                "lat": f"{lat:.2f}",
                "lon": f"{lon:.2f}",
                "area_km2": round(float(b["area_km2_gis"])),
                "sources": "S1;S2;S3;S4;S5;S6;S7;S8;P1;P2;P3",
                "notes": "; ".join(notes),
            }
        )
    with open(HERE / "provinces.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)

    # ---- report -------------------------------------------------------------------------------
    print("rural rescale factors", {k: round(v, 4) for k, v in scale.items()})
    print(
        f"pooled household-size slope on rural share (2010): {slope:.3f}; "
        f"k20={k20:.4f} k09={k09:.4f}"
    )
    for k in (
        "counties",
        "townships",
        "villages_2009",
        "villages_2020",
        "rural_residents_2010",
        "rural_residents_2020",
        "area_km2",
    ):
        print(f"{k:24s} {sum(int(r[k]) for r in rows):>14,d}")
    rp = sum(int(r["rural_residents_2010"]) for r in rows)
    hh = (
        sum(float(r["rural_household_size_2010"]) * int(r["rural_residents_2010"]) for r in rows)
        / rp
    )
    print(f"rural_household_size_2010 (rural-pop weighted) {hh:.2f}")
    vil = sum(float(r["industry_base"]) * int(r["villages_2020"]) for r in rows) / sum(
        int(r["villages_2020"]) for r in rows
    )
    print(f"industry_base (village-weighted, 2020 villages) {vil:.4f}")
    checks = {"Fujian": (14434, 14335), "Shanxi": (28242, None)}
    for r in rows:
        if r["province"] in checks:
            print(
                "check",
                r["province"],
                r["villages_2009"],
                r["villages_2020"],
                "published ~",
                checks[r["province"]],
            )


if __name__ == "__main__":
    main()
