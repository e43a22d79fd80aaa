#!/usr/bin/env python3
"""Runs outpost on Beasley's OR-Library p-median set (pmed1..pmed40).

Each instance is a graph: "n m p" then m lines "i j cost". As OR-Library
prescribes, the last line given for an edge sets its cost, and the costs
between vertices are the shortest paths (Floyd-Warshall). Every vertex is a
demand point of weight 1 and a candidate site; p sites open.

For each instance found in ORLIB_DIR (data/orlib in this repository), writes demand.csv and costs.csv (the
full matrix, in the long form of --costs) under OUT/pmedN/, runs

    outpost plan --demand demand.csv --candidates demand.csv --costs costs.csv
                 --objective distance --add p --exact --format json

and prints one line per instance: the answer, the known optimum (from
ORLIB_DIR/pmedopt.txt), the bound, whether it was proven, and the time.

usage: orlib_pmed.py data/orlib OUT [--bin target/release/outpost] [--only 1,2,3]
       [--time-limit S]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def read_graph(path):
    with open(path) as f:
        head = f.readline().split()
        n, m, p = (int(x) for x in head[:3])
        d = np.full((n, n), np.inf)
        np.fill_diagonal(d, 0.0)
        for _ in range(m):
            i, j, c = (int(x) for x in f.readline().split()[:3])
            d[i - 1, j - 1] = c
            d[j - 1, i - 1] = c
    return n, p, d


def floyd_warshall(d):
    for k in range(d.shape[0]):
        d = np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :])
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("orlib")
    ap.add_argument("out")
    ap.add_argument("--bin", default="target/release/outpost")
    ap.add_argument("--only", default="")
    ap.add_argument("--time-limit", default="600")
    a = ap.parse_args()
    opt = {}
    with open(os.path.join(a.orlib, "pmedopt.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                opt[parts[0].replace(".txt", "")] = float(parts[1])
    ids = [int(x) for x in a.only.split(",") if x] or list(range(1, 41))
    print("instance  n    p   answer  optimum  bound    proven  nodes  seconds")
    for k in ids:
        name = f"pmed{k}"
        path = os.path.join(a.orlib, name + ".txt")
        if not os.path.exists(path):
            continue
        n, p, d = read_graph(path)
        d = floyd_warshall(d)
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        demand = os.path.join(folder, "demand.csv")
        costs = os.path.join(folder, "costs.csv")
        with open(demand, "w") as f:
            f.write("id\n")
            f.writelines(f"{i + 1}\n" for i in range(n))
        with open(costs, "w") as f:
            f.write("origin,destination,cost\n")
            for i in range(n):
                f.writelines(f"{i + 1},{j + 1},{int(d[i, j])}\n" for j in range(n))
        t = time.time()
        run = subprocess.run(
            [a.bin, "plan", "--demand", demand, "--candidates", demand,
             "--costs", costs, "--objective", "distance", "--add", str(p),
             "--exact", "--time-limit", a.time_limit, "--format", "json"],
            capture_output=True, text=True)
        secs = time.time() - t
        if run.returncode != 0:
            print(f"{name}: exit {run.returncode}: {run.stderr.strip()[:300]}")
            continue
        r = json.loads(run.stdout)
        b = r.get("bound") or {}
        nodes = next((x for x in r.get("notes", []) if x.startswith("branch and bound")), "")
        nodes = nodes.split()[3] if nodes else "-"
        print(f"{name:8} {n:4} {p:3} {r['objective_value']['value']:8.0f} {opt.get(name, float('nan')):8.0f} "
              f"{b.get('value', float('nan')):8.1f} {str(b.get('proven')):6} {nodes:>6} {secs:8.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
