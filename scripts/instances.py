#!/usr/bin/env python3
"""Builds the benchmark instances outpost is measured on, from data/world_cities.csv.

    python3 scripts/instances.py OUT_DIR

writes
  world_demand.csv      cities of population > 15,000 (33,961), weight = population
  world_cands.csv       cities of population >= 200,000 (3,043)
  world_cands_10k.csv   the 10,000 most populous cities (ties by id)
  world_sites_1k.csv    the 1,000 most populous cities, as an open network to evaluate
  jitter_1m.csv         1,000,000 points: cities drawn with probability proportional
                        to population (seeded), each moved uniformly within a 30 km disc;
                        weight 1 each (the peer harness's scale family, same recipe)
  jitter_100k.csv       the first 100,000 of those

    python3 scripts/instances.py OUT_DIR --10m

also writes jitter_10m.csv: 10,000,000 points by the same recipe, continuing the same
random sequence (its first 1,000,000 rows are jitter_1m.csv's), about 280 MB.
"""
import csv, math, os, random, sys, bisect

args = [a for a in sys.argv[1:] if a != "--10m"]
ten_million = "--10m" in sys.argv[1:]
out = args[0] if args else "bench-out"
os.makedirs(out, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(here, "..", "data", "world_cities.csv"), encoding="utf-8")))
for r in rows:
    r["population"] = int(r["population"])

def write(name, items, weight=True):
    with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "lon", "lat", "weight", "country"] if weight else ["id", "lon", "lat"])
        for r in items:
            w.writerow([r["id"], r["lon"], r["lat"], r["population"], r["country"]] if weight else [r["id"], r["lon"], r["lat"]])

demand = [r for r in rows if r["population"] > 15000]
write("world_demand.csv", demand)
write("world_cands.csv", [r for r in rows if r["population"] >= 200000], weight=False)
top = sorted(rows, key=lambda r: (-r["population"], int(r["id"])))[:10000]
write("world_cands_10k.csv", sorted(top, key=lambda r: int(r["id"])), weight=False)
write("world_sites_1k.csv", sorted(top[:1000], key=lambda r: int(r["id"])), weight=False)

rng = random.Random(20240601)
cum, acc = [], 0
for r in demand:
    acc += r["population"]
    cum.append(acc)
R = 6371.0088
n = 10_000_000 if ten_million else 1_000_000
f1 = open(os.path.join(out, "jitter_1m.csv"), "w", newline="")
f2 = open(os.path.join(out, "jitter_100k.csv"), "w", newline="")
f3 = open(os.path.join(out, "jitter_10m.csv"), "w", newline="") if ten_million else None
files = [f for f in (f1, f2, f3) if f]
for f in files:
    f.write("id,lon,lat\n")
for i in range(n):
    c = demand[bisect.bisect_left(cum, rng.random() * acc)]
    lat1, lon1 = math.radians(float(c["lat"])), math.radians(float(c["lon"]))
    d = 30.0 * math.sqrt(rng.random()) / R
    b = rng.random() * 2 * math.pi
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2))
    lon2 = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    line = f"{i},{lon2:.6f},{math.degrees(lat2):.6f}\n"
    if i < 1_000_000:
        f1.write(line)
    if i < 100_000:
        f2.write(line)
    if f3:
        f3.write(line)
for f in files:
    f.close()
print("instances in", out)
