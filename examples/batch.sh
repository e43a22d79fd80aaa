#!/usr/bin/env bash
# Batch example: split the quick-start cities into one file per province (as a
# company's regional exports would be), then check every region in one run:
# one row per file plus a total, exit 1 if any region is below 50% within 200 km.
#   bash examples/batch.sh [OUT_DIR]
set -euo pipefail
# OUT_DIR is taken relative to where the script is run from, not the repository.
OUT=$(realpath -m -- "${1:-$(mktemp -d)}")
cd "$(dirname "$0")/.."
mkdir -p "$OUT/regions"
python3 - "$OUT/regions" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("data/china_cities.csv", encoding="utf-8")))
for province in ["Sichuan", "Shandong", "Guangdong", "Jiangsu", "Shaanxi", "Zhejiang"]:
    with open(f"{sys.argv[1]}/{province}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(r for r in rows if r["province"] == province)
PY
# Run from OUT_DIR so the table names the files as regions/NAME.csv.
REPO=$(pwd)
cd "$OUT"
cargo run --manifest-path "$REPO/Cargo.toml" --release --quiet -- evaluate \
    --demand "regions/*.csv" --sites "$REPO/data/china_outlets.csv" \
    --radius 200km --min-coverage 50% --format markdown
