"""Build villages.csv: every rural administrative village of Heze City (code 3717).

Reads the extracted source tables in this folder and writes
  villages.csv   one row per village (村委会), with county, township, households, x_km, y_km
  villages_model.csv  the same villages with only the model's [[villages]] keys (villages_file)
  townships.csv  one row per township-level unit, with its mapped county and centre
Run:  python scenarios/data/heze/build.py      (deterministic; see README.md)

Facts come from the CSV files (with their sources); the modelling choices are the
constants below. Households and positions are SYNTHETIC except where README.md says.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

# ---- modelling choices (documented in README.md) ---------------------------------
SEED = 3717  # every random draw is keyed by (SEED, unit code, stage)
DINGLOU_INDUSTRY_BASE = 0.03  # as in scenarios/dinglou.toml (photo-studio costume makers)
INTERNET_FROM = "2009-11"  # every village can sell online from Dinglou's date
SIZE_SIGMA = 0.45  # village size: lognormal weight, sigma of log(households)
SIZE_CLIP = 2.5  # ... with the normal deviate clipped to +-2.5 (no 5x-mean outliers)
SUBDISTRICT_RING = 0.30  # subdistricts (街道) lie within 0.30 R of the county seat
TOWN_RING = (0.30, 0.85)  # towns/townships lie between 0.30 R and 0.85 R
TOWN_JITTER_KM = 1.0  # jitter of a township centre around its layout point
SPACING_FACTOR = 0.6  # minimum village spacing = 0.6 * sqrt(township area / villages)
PLACEMENT_TRIES = 60  # candidate positions tried per village
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_AT_EQUATOR = 111.32
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
ORIGIN_COUNTY = "Mudan"  # x_km, y_km are km east / north of this county seat
HEZE_BBOX = (34.55, 35.87, 114.75, 116.42)  # lat min, lat max, lon min, lon max (S13, S13b)


def rng(*keys: int) -> np.random.Generator:
    """A generator keyed by the seed and integer codes, independent of row order."""
    return np.random.default_rng([SEED, *keys])


def is_rural(village_code: str) -> bool:
    """NBS village-level code, last three digits: 001-199 residents' committee (居委会,
    dropped), 200-399 villagers' committee (村委会, kept). Two Heze units use 400/500:
    400 '类似居委会' (dropped with the 居委会), 500 a state-farm living quarter (kept)."""
    n = int(village_code[-3:])
    return 200 <= n < 400 or 500 <= n < 600


def short_name(official: str) -> str:
    """'丁楼村民委员会' -> '丁楼村'; names without a committee suffix are kept."""
    for suffix in ("村民委员会", "村民居委会", "村民委会", "村委会"):
        if official.endswith(suffix):
            base = official[: -len(suffix)]
            return base if base.endswith("村") else base + "村"
    return official


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers >= 1 proportional to weights, summing exactly to total (largest remainder)."""
    if len(weights) == 0:
        return np.zeros(0, dtype=int)
    raw = total * weights / weights.sum()
    base = np.maximum(np.floor(raw).astype(int), 1)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    step = 1 if rest >= 0 else -1
    i = 0
    while rest != 0:
        j = order[i % len(order)]
        if step > 0 or base[j] > 1:
            base[j] += step
            rest -= step
        i += 1
    return base


def load() -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    p = pd.read_csv(HERE / "parameters.csv", dtype=str).set_index("name")["value"].to_dict()
    counties = pd.read_csv(HERE / "counties.csv", dtype={"county_code": str})
    towns = pd.read_csv(HERE / "source_townships.csv", dtype=str)
    mapping = pd.read_csv(HERE / "township_mapping.csv", dtype=str)
    villages = pd.read_csv(HERE / "source_villages.csv", dtype=str)
    return p, counties, towns, mapping, villages


def county_targets(p: dict, counties: pd.DataFrame) -> pd.DataFrame:
    """Registered population per county and the households of its villages."""
    c = counties.copy()
    total = float(p["heze_registered_population"])
    fixed = c["registered_pop"].notna()
    rest = total - c.loc[fixed, "registered_pop"].sum()
    share = c.loc[~fixed, "resident_2010"] / c.loc[~fixed, "resident_2010"].sum()
    c.loc[~fixed, "registered_pop"] = (rest * share).round()
    c["registered_pop"] = c["registered_pop"].astype(int)
    c["village_pop"] = c["registered_pop"] - c["urban_seat_pop"]
    c["target_households"] = (
        (c["village_pop"] / float(p["persons_per_household"])).round().astype(int)
    )
    lat0 = float(c.loc[c.county == ORIGIN_COUNTY, "seat_lat"].iloc[0])
    lon0 = float(c.loc[c.county == ORIGIN_COUNTY, "seat_lon"].iloc[0])
    c["seat_x_km"], c["seat_y_km"] = to_km(c["seat_lat"], c["seat_lon"], lat0, lon0)
    # towns are laid out around the centre of the county's documented extent where known
    c["centre_x_km"], c["centre_y_km"] = to_km(
        c["centre_lat"].fillna(c["seat_lat"]), c["centre_lon"].fillna(c["seat_lon"]), lat0, lon0
    )
    c["radius_km"] = np.sqrt(c["area_km2"] / math.pi)
    return c


def to_km(lat, lon, lat0: float, lon0: float):
    x = (np.asarray(lon, float) - lon0) * KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat0))
    y = (np.asarray(lat, float) - lat0) * KM_PER_DEG_LAT
    return x, y


def to_latlon(x, y, lat0: float, lon0: float):
    lon = lon0 + np.asarray(x) / (KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat0)))
    lat = lat0 + np.asarray(y) / KM_PER_DEG_LAT
    return lat, lon


def layout_townships(towns: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    """Township centres: subdistricts near the seat, others spread over the county disk
    (around the extent's centre where known, else the seat) on a sunflower (golden-angle)
    pattern, rotated and jittered per county / township."""
    t = towns.copy()
    t["x_km"] = 0.0
    t["y_km"] = 0.0
    for _, cty in c.iterrows():
        rows = t[t.model_county_code == cty.county_code].sort_values("code")
        n_units = len(rows)
        t.loc[rows.index, "radius_km"] = math.sqrt(cty.area_km2 / n_units / math.pi)
        theta0 = rng(int(cty.county_code), 3).uniform(0, 2 * math.pi)
        for group, (r_in, r_out), (ox, oy) in (
            (
                rows[rows.kind == "subdistrict"],
                (0.0, SUBDISTRICT_RING),
                (cty.seat_x_km, cty.seat_y_km),
            ),
            (rows[rows.kind != "subdistrict"], TOWN_RING, (cty.centre_x_km, cty.centre_y_km)),
        ):
            n = len(group)
            for k, idx in enumerate(group.index):
                frac = (k + 0.5) / n
                r = cty.radius_km * math.sqrt(r_in**2 + (r_out**2 - r_in**2) * frac)
                a = theta0 + k * GOLDEN_ANGLE
                jx, jy = rng(int(t.at[idx, "code"]), 3).normal(0.0, TOWN_JITTER_KM, 2)
                t.at[idx, "x_km"] = ox + r * math.cos(a) + jx
                t.at[idx, "y_km"] = oy + r * math.sin(a) + jy
    return t


def place_villages(v: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    """Villages uniform in their township's disk, with a minimum spacing where possible."""
    v = v.copy()
    v["x_km"], v["y_km"] = 0.0, 0.0
    centre = t.set_index("code")
    for tcode, rows in v.groupby("township_code", sort=True):
        cx, cy, rad = (
            centre.at[tcode, "x_km"],
            centre.at[tcode, "y_km"],
            centre.at[tcode, "radius_km"],
        )
        d_min = SPACING_FACTOR * math.sqrt(math.pi * rad**2 / len(rows))
        g = rng(int(tcode), 2)
        placed: list[tuple[float, float]] = []
        for idx in rows.sort_values("village_code").index:
            best, best_d = None, -1.0
            for _ in range(PLACEMENT_TRIES):
                r, a = rad * math.sqrt(g.uniform()), g.uniform(0, 2 * math.pi)
                px, py = cx + r * math.cos(a), cy + r * math.sin(a)
                d = min((math.hypot(px - qx, py - qy) for qx, qy in placed), default=math.inf)
                if d > best_d:
                    best, best_d = (px, py), d
                if d >= d_min:
                    break
            placed.append(best)
            v.loc[idx, ["x_km", "y_km"]] = best
    return v


def households(v: pd.DataFrame, c: pd.DataFrame, p: dict) -> pd.Series:
    """County targets shared by lognormal weights; Daiji and Dinglou pinned to the facts."""
    z = np.array([rng(int(code), 1).standard_normal() for code in v.village_code])
    w = np.exp(SIZE_SIGMA * np.clip(z, -SIZE_CLIP, SIZE_CLIP))
    hh = pd.Series(0, index=v.index, dtype=int)
    daiji, dinglou = p["daiji_township_code"], p["dinglou_village_code"]
    daiji_hh = round(float(p["daiji_registered_population"]) / float(p["persons_per_household"]))
    for _, cty in c.iterrows():
        in_c = (v.county_code_model == cty.county_code).to_numpy()
        groups = [(in_c, int(cty.target_households))]
        if (v.village_code[in_c] == dinglou).any():
            pin = (v.village_code == dinglou).to_numpy()
            in_daiji = in_c & (v.township_code == daiji).to_numpy()
            hh[pin] = int(p["dinglou_households"])
            groups = [
                (in_daiji & ~pin, daiji_hh - int(p["dinglou_households"])),
                (in_c & ~in_daiji, int(cty.target_households) - daiji_hh),
            ]
        for mask, total in groups:
            hh[mask] = allocate(total, w[mask])
    return hh


def main() -> None:
    p, counties, towns, mapping, villages = load()
    c = county_targets(p, counties)
    by_code = c.set_index("county_code")

    # township-level units: 2022 county, or the 2009-2021 county for development-zone units
    t = towns.rename(columns={"county_code": "county_code_2022", "county_name": "county_zh_2022"})
    remap = mapping.set_index("township_code")
    t["model_county_code"] = [
        remap.at[x, "model_county_code"] if x in remap.index else y
        for x, y in zip(t.code, t.county_code_2022, strict=True)
    ]
    t["mapping_basis"] = [remap.at[x, "basis"] if x in remap.index else "" for x in t.code]
    t = layout_townships(t, c)

    # villages: rural units only, joined to their township and mapped county
    v = villages[villages.village_code.map(is_rural)].copy()
    tt = t.set_index("code")
    v["county_code_model"] = v.township_code.map(tt["model_county_code"])
    v["township_zh"] = v.township_code.map(tt["name"])
    v["village_zh"] = v["name"].map(short_name)
    v = place_villages(v, t)
    v["households"] = households(v, c, p)
    v["county"] = v.county_code_model.map(by_code["county"])
    v["county_zh"] = v.county_code_model.map(by_code["county_zh"])
    v["township"] = v.township_code
    v["kind"] = "village"
    cols = [
        "county",
        "county_zh",
        "township_code",
        "township_zh",
        "township",
        "village_code",
        "village_zh",
        "households",
        "x_km",
        "y_km",
        "kind",
    ]
    out = v[cols].sort_values("village_code").reset_index(drop=True)
    out.to_csv(HERE / "villages.csv", index=False, float_format="%.2f", lineterminator="\n")
    # the same villages with only [[villages]] keys, for a scenario's villages_file
    # Facts the model starts from: Dinglou's costume makers (the only documented
    # industry base), Daiji's villages selling costumes and the rest other products
    # (an assumption, README.md), internet from November 2009 as in Dinglou.
    dinglou = out.village_code == str(p["dinglou_village_code"])
    model = pd.DataFrame(
        {
            "name": out.village_zh + "-" + out.village_code,
            "households": out.households,
            "x_km": out.x_km,
            "y_km": out.y_km,
            "township": out.township,
            "county": out.county,
            "category": np.where(
                out.township == str(p["daiji_township_code"]), "costumes", "other"
            ),
            "industry_base": np.where(dinglou, DINGLOU_INDUSTRY_BASE, 0.0),
            "internet_from": INTERNET_FROM,
        }
    )
    model.to_csv(HERE / "villages_model.csv", index=False, float_format="%.2f", lineterminator="\n")

    t["villages"] = t.code.map(v.groupby("township_code").size()).fillna(0).astype(int)
    t["households"] = t.code.map(v.groupby("township_code").households.sum()).fillna(0).astype(int)
    t["county"] = t.model_county_code.map(by_code["county"])
    t[
        [
            "code",
            "name",
            "kind",
            "county",
            "model_county_code",
            "county_code_2022",
            "county_zh_2022",
            "villages",
            "households",
            "x_km",
            "y_km",
            "radius_km",
            "mapping_basis",
        ]
    ].rename(columns={"code": "township_code", "name": "township_zh"}).to_csv(
        HERE / "townships.csv", index=False, float_format="%.2f", lineterminator="\n"
    )

    report(out, t, c, villages, p)


def report(out: pd.DataFrame, t: pd.DataFrame, c: pd.DataFrame, raw: pd.DataFrame, p: dict) -> None:
    print(
        f"{'county':<10} {'townships':>9} {'(w/ vill.)':>10} {'villages':>8} {'households':>10} "
        f"{'target':>8} {'registered':>10}"
    )
    for _, cty in c.iterrows():
        tc = t[t.model_county_code == cty.county_code]
        oc = out[out.county == cty.county]
        print(
            f"{cty.county:<10} {len(tc):>9} {int((tc.villages > 0).sum()):>10} {len(oc):>8} "
            f"{int(oc.households.sum()):>10} {int(cty.target_households):>8} "
            f"{int(cty.registered_pop):>10}"
        )
    print(
        f"{'Heze':<10} {len(t):>9} {int((t.villages > 0).sum()):>10} {len(out):>8} "
        f"{int(out.households.sum()):>10}"
    )
    daiji = out[out.township_code == p["daiji_township_code"]]
    dinglou = out[out.village_code == p["dinglou_village_code"]]
    cao_raw = raw[raw.county_code == "371721"]
    print(
        f"Daiji (大集镇): {len(daiji)} villages (project reference: 32), "
        f"{daiji.households.sum()} households"
    )
    print(f"Dinglou (丁楼村): {int(dinglou.households.iloc[0])} households")
    print(
        f"Caoxian: {len(out[out.county == 'Caoxian'])} villages kept; "
        f"{len(cao_raw)} village-level units in the 2022 codes (project reference: 807)"
    )
    print(
        f"dropped as urban (居委会 etc.): {len(raw) - len(out)} of {len(raw)} village-level units"
    )
    lat0, lon0 = (
        float(c.loc[c.county == ORIGIN_COUNTY, k].iloc[0]) for k in ("seat_lat", "seat_lon")
    )
    lat, lon = to_latlon(out.x_km, out.y_km, lat0, lon0)
    outside = ~(
        (lat >= HEZE_BBOX[0])
        & (lat <= HEZE_BBOX[1])
        & (lon >= HEZE_BBOX[2])
        & (lon <= HEZE_BBOX[3])
    )
    print(f"villages outside Heze's bounding box: {int(outside.sum())}")
    assert int(dinglou.households.iloc[0]) == int(p["dinglou_households"])
    assert len(out) == out.village_code.nunique()


if __name__ == "__main__":
    main()
