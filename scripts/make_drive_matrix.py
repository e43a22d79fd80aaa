#!/usr/bin/env python3
"""Writes data/china_drive_minutes.csv: an estimated drive-time matrix for the
quick-start data, in the long format routing engines export (one row per
origin-destination pair), for the "Planning on travel times" example.

It is NOT a routing engine's output. Each pair's time is estimated from the
great-circle distance, a detour factor for the terrain of the two provinces
(1.25 on the northern and eastern plains, 1.6-1.7 in the south-western
mountains and on the Tibetan plateau, 1.35 elsewhere; the mean of the two
ends), an average speed of 70 km/h and 10 minutes to get on and off the road:

    minutes = 10 + 60 * km * circuity / 70

Origins are every city of data/china_cities.csv; destinations every city and
the four outlets of data/china_outlets.csv. Pairs over 180 minutes are left
out, as a matrix cut at a threshold would be, so they count as unreachable.
Deterministic: run it again and the file is byte-identical.

    python3 scripts/make_drive_matrix.py
"""
import csv
import math
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
EARTH_RADIUS_KM = 6371.0088
SPEED_KMH = 70.0
ACCESS_MIN = 10.0
CUT_MIN = 180.0

PLAINS = {"Beijing", "Tianjin", "Hebei", "Shandong", "Henan", "Jiangsu", "Anhui",
          "Shanghai", "Heilongjiang", "Jilin", "Liaoning"}
MOUNTAINS = {"Sichuan": 1.6, "Chongqing": 1.6, "Guizhou": 1.65, "Yunnan": 1.65,
             "Guangxi": 1.5, "Xizang": 1.7, "Qinghai": 1.6, "Gansu": 1.5}


def circuity(province):
    if province in PLAINS:
        return 1.25
    return MOUNTAINS.get(province, 1.35)


def km(a, b):
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def main():
    cities = list(csv.DictReader(open(DATA / "china_cities.csv", encoding="utf-8")))
    outlets = list(csv.DictReader(open(DATA / "china_outlets.csv", encoding="utf-8")))
    origins = [(c["id"], (float(c["lon"]), float(c["lat"])), c["province"]) for c in cities]
    dests = origins + [(o["id"], (float(o["lon"]), float(o["lat"])), None) for o in outlets]
    # Only pairs that can be within the cut: the fastest possible trip is at circuity 1.25.
    reach_km = (CUT_MIN - ACCESS_MIN) / 60 * SPEED_KMH / 1.25
    rows = 0
    with open(DATA / "china_drive_minutes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["origin_id", "destination_id", "minutes"])
        for oid, opos, oprov in origins:
            for did, dpos, dprov in dests:
                d = km(opos, dpos)
                if d > reach_km:
                    continue
                c = (circuity(oprov) + circuity(dprov if dprov else oprov)) / 2
                minutes = ACCESS_MIN + 60 * d * c / SPEED_KMH if oid != did else 0.0
                if minutes <= CUT_MIN:
                    w.writerow([oid, did, f"{minutes:.1f}"])
                    rows += 1
    print(f"wrote {rows} pairs to data/china_drive_minutes.csv")


if __name__ == "__main__":
    main()
