#!/usr/bin/env bash
# Runs `plan --exact` (coverage) on the China and world instances of the peer
# harness, 60 s each, and prints covered weight, bound, proof, nodes and wall
# time beside HiGHS's proven optimum (../shared/bench/results/exact_mclp.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-target/release/outpost}
OUT=${OUT:-bench-out}
LIMIT=${LIMIT:-60}
[ -f "$OUT/world_demand.csv" ] || python3 scripts/instances.py "$OUT" >/dev/null
declare -A OPT=(
  [china-r100-p5]=242078922 [china-r100-p20]=441199107 [china-r100-p50]=608097383
  [china-r200-p5]=364304649 [china-r200-p20]=627560568 [china-r200-p50]=739534963
  [world-r50-p20]=584478925 [world-r50-p100]=1345461029 [world-r50-p500]=2431893322
  [world-r150-p20]=899262211 [world-r150-p100]=2079343877 [world-r150-p500]=3484385959)
declare -A HIGHS=(
  [china-r100-p5]=11.8 [china-r100-p20]=6.2 [china-r100-p50]=4.0
  [china-r200-p5]=27.9 [china-r200-p20]=41.4 [china-r200-p50]=144.4
  [world-r50-p20]=0.6 [world-r50-p100]=0.9 [world-r50-p500]=2.4
  [world-r150-p20]=1.6 [world-r150-p100]=7.9 [world-r150-p500]=17.7)
printf "| instance | outpost --exact covered | bound | proven | nodes | wall s | optimum | HiGHS s |\n|---|---|---|---|---|---|---|---|\n"
run() { # name demand candidates radius p
  local json="$OUT/exact-$1.json" s e
  s=$(date +%s.%N)
  "$B" plan --demand "$2" --candidates "$3" --radius "$4" --add "$5" --exact --time-limit "$LIMIT" \
    --format json -o "$json" --quiet
  e=$(date +%s.%N)
  python3 - "$json" "$1" "${OPT[$1]}" "${HIGHS[$1]}" "$(echo "$e - $s" | bc)" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
nodes = next((re.search(r"(\d+) nodes?", n).group(1) for n in j["notes"] if "branch and bound:" in n), "-")
b = j["bound"]
print(f"| {sys.argv[2]} | {j['coverage']['covered_weight']:,.0f} | {b['value']:,.0f} | {'yes' if b.get('proven') else 'no'} "
      f"| {int(nodes):,} | {float(sys.argv[5]):.1f} | {float(sys.argv[3]):,.0f} | {sys.argv[4]} |")
PY
}
for r in 100 200; do for p in 5 20 50; do
  run "china-r$r-p$p" data/china_cities.csv data/china_cities.csv "${r}km" "$p"
done; done
for r in 50 150; do for p in 20 100 500; do
  run "world-r$r-p$p" "$OUT/world_demand.csv" "$OUT/world_cands.csv" "${r}km" "$p"
done; done
