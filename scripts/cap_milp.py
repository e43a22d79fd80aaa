#!/usr/bin/env python3
"""Capacitated maximal coverage as a MILP, solved with HiGHS (highspy).

The reference for `outpost plan --objective coverage --capacity W --add P`:
demand is divisible (a point's weight may be split between the open sites
within reach), every site serves at most its capacity, the existing sites are
open and P candidates (the demand locations, as outpost's default) may open.

    max  sum_r w_r sum_j x_rj
    s.t. sum_j x_rj <= 1                      for each demand row r
         sum_r w_r x_rj <= cap * z_j          for each site j
         x_rj <= z_j                          for each pair (strong form)
         sum_{j new} z_j <= P,  z_j in {0,1}, z_j = 1 for existing sites

Coverage uses outpost's test: squared chord between unit vectors against the
squared chord of the radius (R = 6371.0088 km). Demand rows with the same set
of sites in reach are merged (their weights add), as outpost does.

Prints the LP relaxation value and the MILP result (objective, best bound,
gap, time) as one JSON line.

usage: cap_milp.py DEMAND.csv EXISTING.csv RADIUS_KM CAPACITY P [--time-limit S]
       [--weak] [--lp-only] [--threads N] [--candidates CANDS.csv]
"""

import argparse
import csv
import json
import math
import sys
import time

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088


def unit(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def read_points(path, weight_col=None):
    lons, lats, ws, ids = [], [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            ids.append(rec.get("id", ""))
            lons.append(float(rec["lon"]))
            lats.append(float(rec["lat"]))
            ws.append(float(rec[weight_col]) if weight_col else 1.0)
    return ids, np.array(lons), np.array(lats), np.array(ws)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("demand")
    ap.add_argument("existing")
    ap.add_argument("radius_km", type=float)
    ap.add_argument("capacity", type=float)
    ap.add_argument("p", type=int)
    ap.add_argument("--candidates", help="candidate sites (default: the demand points)")
    ap.add_argument("--weight", default="population")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weak", action="store_true", help="leave out x_rj <= z_j")
    ap.add_argument("--lp-only", action="store_true")
    ap.add_argument("--ipm", action="store_true", help="solve the LP by interior point, no crossover")
    ap.add_argument("--solution", help="write the chosen candidate ids here")
    a = ap.parse_args()

    import highspy

    _, dlon, dlat, w = read_points(a.demand, a.weight)
    eids, elon, elat, _ = read_points(a.existing)
    if a.candidates:
        cids, clon, clat, _ = read_points(a.candidates)
    else:
        cids, clon, clat = read_points(a.demand)[0], dlon, dlat
    sites = np.concatenate([unit(elon, elat), unit(clon, clat)])
    site_ids = list(eids) + list(cids)
    nf = len(eids)
    dem = unit(dlon, dlat)
    half = min(a.radius_km / (2 * EARTH_RADIUS_KM), math.pi / 2)
    k2 = (2 * math.sin(half)) ** 2
    tree = cKDTree(sites)
    # Generous query, then the exact chord test outpost uses.
    near = tree.query_ball_point(dem, math.sqrt(k2) * (1 + 1e-9) + 1e-12)
    rows = {}
    for i, js in enumerate(near):
        if w[i] <= 0:
            continue
        js = sorted(j for j in js if float(((dem[i] - sites[j]) ** 2).sum()) <= k2)
        if not js:
            continue
        key = tuple(js)
        rows[key] = rows.get(key, 0.0) + w[i]
    keys = sorted(rows)
    wr = np.array([rows[k] for k in keys])
    n_pairs = sum(len(k) for k in keys)
    ns = len(site_ids)
    scale = 1e-6  # weights in millions keep the coefficients near 1
    cap = a.capacity * scale

    # Variables: z_0..z_{ns-1}, then x per pair.
    nvar = ns + n_pairs
    col_cost = np.zeros(nvar)
    lower = np.zeros(nvar)
    upper = np.ones(nvar)
    lower[:nf] = 1.0
    integrality = np.zeros(nvar, dtype=np.int32)
    integrality[nf:ns] = 1
    pair_row, pair_site = [], []
    for r, k in enumerate(keys):
        for j in k:
            pair_row.append(r)
            pair_site.append(j)
    pair_row = np.array(pair_row)
    pair_site = np.array(pair_site)
    col_cost[ns:] = wr[pair_row] * scale

    # Constraints as triplets.
    ri, ci, vals, rlo, rhi = [], [], [], [], []
    nr = len(keys)
    xcol = ns + np.arange(n_pairs)
    # assignment rows 0..nr-1
    ri.append(pair_row)
    ci.append(xcol)
    vals.append(np.ones(n_pairs))
    rlo += [-highspy.kHighsInf] * nr
    rhi += [1.0] * nr
    # capacity rows nr..nr+ns-1
    ri.append(nr + pair_site)
    ci.append(xcol)
    vals.append(wr[pair_row] * scale)
    ri.append(nr + np.arange(ns))
    ci.append(np.arange(ns))
    vals.append(np.full(ns, -cap))
    rlo += [-highspy.kHighsInf] * ns
    rhi += [0.0] * ns
    base = nr + ns
    # cardinality
    ri.append(np.full(ns - nf, base))
    ci.append(np.arange(nf, ns))
    vals.append(np.ones(ns - nf))
    rlo.append(-highspy.kHighsInf)
    rhi.append(float(a.p))
    base += 1
    if not a.weak:
        ri.append(base + np.arange(n_pairs))
        ci.append(xcol)
        vals.append(np.ones(n_pairs))
        ri.append(base + np.arange(n_pairs))
        ci.append(pair_site)
        vals.append(-np.ones(n_pairs))
        rlo += [-highspy.kHighsInf] * n_pairs
        rhi += [0.0] * n_pairs
        base += n_pairs
    ri = np.concatenate(ri)
    ci = np.concatenate(ci)
    vals = np.concatenate(vals)
    from scipy.sparse import csc_matrix

    A = csc_matrix((vals, (ri, ci)), shape=(base, nvar))
    A.sort_indices()

    lp = highspy.HighsLp()
    lp.num_col_ = nvar
    lp.num_row_ = base
    lp.col_cost_ = col_cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.array(rlo)
    lp.row_upper_ = np.array(rhi)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data

    out = {
        "demand": a.demand,
        "existing": a.existing,
        "radius_km": a.radius_km,
        "capacity": a.capacity,
        "p": a.p,
        "rows": nr,
        "sites": ns,
        "pairs": n_pairs,
        "form": "weak" if a.weak else "strong",
        "highs": highspy.Highs().version() if hasattr(highspy.Highs(), "version") else None,
    }

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", a.threads)
    # LP relaxation first (no integrality yet).
    if a.ipm:
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    h.passModel(lp)
    t = time.time()
    h.run()
    out["lp_value"] = h.getInfo().objective_function_value / scale
    out["lp_seconds"] = round(time.time() - t, 2)
    sol = np.array(h.getSolution().col_value)
    out["lp_fractional_sites"] = int(((sol[nf:ns] > 1e-6) & (sol[nf:ns] < 1 - 1e-6)).sum())
    out["lp_open_mass"] = float(sol[nf:ns].sum())
    print(json.dumps(out), file=sys.stderr)
    if not a.lp_only:
        lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
        h = highspy.Highs()
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", True)
        h.setOptionValue("threads", a.threads)
        h.setOptionValue("time_limit", a.time_limit)
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.passModel(lp)
        t = time.time()
        h.run()
        info = h.getInfo()
        out["mip_seconds"] = round(time.time() - t, 2)
        out["mip_status"] = h.modelStatusToString(h.getModelStatus())
        out["mip_value"] = info.objective_function_value / scale
        out["mip_bound"] = info.mip_dual_bound / scale
        out["mip_gap"] = info.mip_gap
        sol = np.array(h.getSolution().col_value)
        chosen = [site_ids[j] for j in range(nf, ns) if sol[j] > 0.5]
        out["chosen"] = chosen
        if a.solution:
            with open(a.solution, "w") as f:
                f.write("\n".join(chosen) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
