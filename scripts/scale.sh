#!/usr/bin/env bash
# Scale runs: evaluate and plan at 1,000,000 demand points, each run 3 times;
# prints the median wall time and the largest peak memory.
# Usage: scripts/scale.sh [OUT_DIR] [10m]   (instances are built there by scripts/instances.py)
#   With `10m`, the ten-million-point runs instead (jitter_10m.csv, about 280 MB,
#   built by `scripts/instances.py OUT_DIR --10m`; each run takes tens of seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
TEN=${2:-}
B=${B:-target/release/outpost}
cargo build --release --quiet
[ -f "$OUT/jitter_1m.csv" ] || python3 scripts/instances.py "$OUT" >/dev/null
run() { # label, then the outpost arguments
  local label=$1; shift
  local times=() peak=0
  for _ in 1 2 3; do
    local line
    line=$( { /usr/bin/time -f "%e %M" "$B" "$@" --quiet --format json -o "$OUT/last.json" >/dev/null; } 2>&1 | tail -1)
    times+=("${line% *}")
    local kb=${line#* }
    (( kb > peak )) && peak=$kb
  done
  local med
  med=$(printf "%s\n" "${times[@]}" | sort -n | sed -n 2p)
  local extra
  extra=$(python3 -c "import json; j=json.load(open('$OUT/last.json')); b=j.get('bound') or {}; print(f\"covered {j['coverage']['covered_fraction']:.4%}\" + (f\", gap {b['gap']:.4%}\" if b else ''))")
  printf "| %s | %s | %d | %s |\n" "$label" "$med" $((peak / 1024)) "$extra"
}
echo "| run | median wall s (3 runs) | peak MB | result |"
echo "|---|---:|---:|---|"
if [ "$TEN" = 10m ]; then
  [ -f "$OUT/jitter_10m.csv" ] || python3 scripts/instances.py "$OUT" --10m >/dev/null
  run "evaluate 10M x 1,000 sites, radii 25/50/100 km" evaluate --demand "$OUT/jitter_10m.csv" --sites "$OUT/world_sites_1k.csv" --radius 25km,50km,100km
  run "plan coverage 10M x 10,000 candidates, 50 km, add 200, with bound" plan --demand "$OUT/jitter_10m.csv" --candidates "$OUT/world_cands_10k.csv" --radius 50km --add 200
  exit 0
fi
run "evaluate 1M x 1,000 sites, radii 25/50/100 km" evaluate --demand "$OUT/jitter_1m.csv" --sites "$OUT/world_sites_1k.csv" --radius 25km,50km,100km
run "plan coverage 1M x 10,000 candidates, 50 km, add 200, no bound" plan --demand "$OUT/jitter_1m.csv" --candidates "$OUT/world_cands_10k.csv" --radius 50km --add 200 --no-bound
run "plan coverage 1M x 10,000 candidates, 50 km, add 200, with bound" plan --demand "$OUT/jitter_1m.csv" --candidates "$OUT/world_cands_10k.csv" --radius 50km --add 200
run "plan coverage 34k world x 3,043, 150 km, add 500" plan --demand "$OUT/world_demand.csv" --candidates "$OUT/world_cands.csv" --radius 150km --add 500
run "plan min-sites 34k world x 3,043, 50 km, target 30%" plan --demand "$OUT/world_demand.csv" --candidates "$OUT/world_cands.csv" --radius 50km --objective min-sites --target 30%
run "plan distance 34k world x 3,043, add 100" plan --demand "$OUT/world_demand.csv" --candidates "$OUT/world_cands.csv" --radius 50km --objective distance --add 100
run "plan max-distance 34k world x 3,043, add 100" plan --demand "$OUT/world_demand.csv" --candidates "$OUT/world_cands.csv" --radius 50km --objective max-distance --add 100
