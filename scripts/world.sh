#!/usr/bin/env bash
# Plans the six world instances (33,961 cities, 3,043 candidates, 50/150 km, 20/100/500 sites)
# and prints covered weight, bound, gap and wall time, against the proven optima of the peer harness.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-target/release/outpost}
OUT=${OUT:-bench-out}
[ -f "$OUT/world_demand.csv" ] || python3 scripts/instances.py "$OUT" >/dev/null
declare -A OPT=([50-20]=584478925 [50-100]=1345461029 [50-500]=2431893322 [150-20]=899262211 [150-100]=2079343877 [150-500]=3484385959)
printf "%-14s %15s %15s %9s %9s %8s\n" instance covered optimum "below%" "gap%" "wall s"
for r in 50 150; do for p in 20 100 500; do
  s=$(date +%s.%N)
  "$B" plan --demand "$OUT/world_demand.csv" --candidates "$OUT/world_cands.csv" --radius ${r}km --add $p --format json -o "$OUT/world-r$r-p$p.json" --quiet
  e=$(date +%s.%N)
  python3 - "$OUT/world-r$r-p$p.json" "${OPT[$r-$p]}" "world-r$r-p$p" "$(echo "$e - $s" | bc)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); opt = float(sys.argv[2])
c = j["coverage"]["covered_weight"]
print(f"{sys.argv[3]:<14} {c:15.0f} {opt:15.0f} {100*(opt-c)/opt:9.4f} {100*j['bound']['gap']:9.4f} {float(sys.argv[4]):8.2f}")
PY
done; done
