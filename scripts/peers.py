#!/usr/bin/env python3
"""Runs outpost on the peer harness's instance folders and prints a Markdown
table side by side with the proven optimum (HiGHS) and PySAL spopt.

    python3 scripts/peers.py PEERS_DIR [--binary target/release/outpost] [--only SUBSTR]

PEERS_DIR is a copy of ../shared/bench with `out/instances` built
(`python make_instances.py all`) and `results/*.jsonl` (shipped).
"""
import argparse, csv, json, os, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("peers")
ap.add_argument("--binary", default="target/release/outpost")
ap.add_argument("--only", default="")
ap.add_argument("--repeat", type=int, default=3)
a = ap.parse_args()

def last_lines(name):
    out = {}
    path = os.path.join(a.peers, "results", name)
    if os.path.exists(path):
        for line in open(path):
            j = json.loads(line)
            out[j["instance"]] = j
    return out

exact, spopt = last_lines("exact_mclp.jsonl"), last_lines("spopt_mclp.jsonl")
inst_dir = os.path.join(a.peers, "out", "instances")
print("| instance | demand | cand. | r km | p | outpost covered | optimum | below opt. | outpost gap | outpost s (median of %d) | peak MB | spopt s | spopt / outpost | exact s |" % a.repeat)
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name in sorted(os.listdir(inst_dir)):
    d = os.path.join(inst_dir, name)
    if not os.path.isdir(d) or a.only not in name:
        continue
    meta = json.load(open(os.path.join(d, "instance.json")))
    fixed = [str(f) for f in meta.get("fixed", [])]
    args = [a.binary, "plan", "--quiet", "--format", "json", "--demand", os.path.join(d, "demand.csv"),
            "--candidates", os.path.join(d, "candidates.csv"), "--radius", f"{meta['radius_km']}km",
            "--add", str(meta["p"] - len(fixed))]
    tmp = None
    if fixed:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
        rows = {r["id"]: r for r in csv.DictReader(open(os.path.join(d, "candidates.csv")))}
        w = csv.writer(tmp)
        w.writerow(["id", "lon", "lat"])
        for f in fixed:
            w.writerow([f, rows[f]["lon"], rows[f]["lat"]])
        tmp.close()
        args += ["--existing", tmp.name]
    times, report, peak = [], None, 0
    for _ in range(a.repeat):
        t = time.perf_counter()
        res = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if res.returncode not in (0, 1):
            sys.exit(f"{name}: outpost failed: {res.stderr}")
        report = json.loads(res.stdout)
        peak = max(peak, int(res.stderr.strip().splitlines()[-1]) // 1024)
    cov = report["coverage"]["covered_weight"]
    e = exact.get(name, {})
    opt = e.get("objective") if e.get("status") == "optimal" else None
    s = spopt.get(name, {})
    s_t = s.get("total_s") if s.get("status") == "optimal" else None
    med = statistics.median(times)
    below = f"{100 * (opt - cov) / opt:.4f}%" if opt else "-"
    print(f"| {name} | {meta.get('n_demand', '')} | {meta.get('n_candidates', '')} | {meta['radius_km']} | {meta['p']} | "
          f"{cov:,.0f} | {f'{opt:,.0f}' if opt else '-'} | {below} | {100 * report['bound']['gap']:.4f}% | {med:.2f} | {peak} | "
          f"{f'{s_t:.1f}' if s_t else s.get('status', '-')} | {f'{s_t / med:,.0f}x' if s_t else '-'} | "
          f"{e.get('total_s', e.get('wall_s', '-')) if e else '-'} |")
    if tmp:
        os.unlink(tmp.name)
