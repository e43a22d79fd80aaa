#!/usr/bin/env python3
"""Makes the GIS test fixtures in tests/fixtures/gis/ from data/china_cities.csv
and data/china_outlets.csv (GeoNames, CC BY 4.0; see data/README.md).

Needs GDAL's command-line tools (Debian: `apt-get install gdal-bin`) and pyarrow
(`pip install pyarrow`). The tests only read the committed files, so neither is
needed to run them; run this again only to change the fixtures:

    python3 scripts/make_gis_fixtures.py

What it writes (every file is small: a few hundred places):
- cities.csv: every 7th row of data/china_cities.csv (301 places), the reference
  that each GIS copy below must reproduce exactly.
- cities.gpkg, cities.shp (+ .dbf .shx .prj .cpg), cities.fgb: the same places
  converted by ogr2ogr (EPSG:4326; the lon/lat columns become the geometry).
- cities.parquet: the same places as GeoParquet 1.0 (WKB points, written here
  with pyarrow, Snappy compression as pyarrow writes by default).
- cities_3857.gpkg / cities_3857.parquet: the places in Web Mercator (EPSG:3857).
- east_utm50.shp: the places between 114 and 120 degrees east in UTM zone 50N
  (EPSG:32650; its .prj is GDAL's ESRI-style WKT, without an EPSG code).
- outlets.gpkg: data/china_outlets.csv as a point layer `outlets`.
- two_layers.gpkg: layers `cities` and `outlets` in one file.
- regions.gpkg: three square polygons with hand-checkable centroids and weights.
- roads.gpkg: a LineString layer (not places).
- local_grid.gpkg: points in a custom transverse Mercator with no EPSG code.
- nan_point.gpkg: cities.gpkg with the 5th point's coordinates set to NaN.
"""
import csv
import json
import math
import os
import pathlib
import shutil
import sqlite3
import struct
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "gis"


def run(*args):
    subprocess.run(list(args), check=True)


def csv_to_gpkg(src, dst, layer, *extra):
    run(
        "ogr2ogr", "-f", "GPKG", str(dst), str(src),
        "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat",
        "-oo", "KEEP_GEOM_COLUMNS=NO", "-oo", "AUTODETECT_TYPE=YES",
        "-a_srs", "EPSG:4326", "-nln", layer, "-lco", "SPATIAL_INDEX=NO", *extra,
    )


def wkb_point(x, y):
    return struct.pack("<BIdd", 1, 1, x, y)


def merc(lon, lat):
    r = 6378137.0
    return (r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def write_parquet(rows, dst, project=None, crs=None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    geoms = []
    for r in rows:
        x, y = float(r["lon"]), float(r["lat"])
        if project:
            x, y = project(x, y)
        geoms.append(wkb_point(x, y))
    table = pa.table({
        "id": pa.array([int(r["id"]) for r in rows], pa.int64()),
        "name": [r["name"] for r in rows],
        "province": [r["province"] for r in rows],
        "population": pa.array([int(r["population"]) for r in rows], pa.int64()),
        "geometry": pa.array(geoms, pa.binary()),
    })
    column = {"encoding": "WKB", "geometry_types": ["Point"]}
    if crs is not None:
        column["crs"] = crs
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}
    table = table.replace_schema_metadata({"geo": json.dumps(geo)})
    pq.write_table(table, dst)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    with open(ROOT / "data" / "china_cities.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[::7]
    fields = ["id", "name", "province", "lon", "lat", "population"]
    cities = OUT / "cities.csv"
    with open(cities, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    csv_to_gpkg(cities, OUT / "cities.gpkg", "cities")
    run("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", str(OUT / "cities.shp"),
        str(OUT / "cities.gpkg"))
    # Without the spatial index GDAL keeps the features in file order (with it, in
    # the index's Hilbert order, which changes sums in their last digit).
    run("ogr2ogr", "-f", "FlatGeobuf", "-lco", "SPATIAL_INDEX=NO", str(OUT / "cities.fgb"),
        str(OUT / "cities.gpkg"))
    write_parquet(rows, OUT / "cities.parquet")
    run("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:3857", "-lco", "SPATIAL_INDEX=NO",
        str(OUT / "cities_3857.gpkg"), str(OUT / "cities.gpkg"))
    write_parquet(rows, OUT / "cities_3857.parquet", project=merc, crs={
        "$schema": "https://proj.org/schemas/v0.7/projjson.schema.json",
        "type": "ProjectedCRS", "name": "WGS 84 / Pseudo-Mercator",
        "id": {"authority": "EPSG", "code": 3857},
    })
    run("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:32650", "-spat", "114", "-90", "120",
        "90", str(OUT / "east_utm50.shp"), str(OUT / "cities.gpkg"))

    csv_to_gpkg(ROOT / "data" / "china_outlets.csv", OUT / "outlets.gpkg", "outlets")
    csv_to_gpkg(cities, OUT / "two_layers.gpkg", "cities")
    csv_to_gpkg(ROOT / "data" / "china_outlets.csv", OUT / "two_layers.gpkg", "outlets",
                "-update")

    with tempfile.TemporaryDirectory() as tmp:
        regions = pathlib.Path(tmp) / "regions.csv"
        # Squares of 0.2 degrees: centroids at (104, 30), (106, 31), (108, 32).
        with open(regions, "w", encoding="utf-8") as f:
            f.write("id,weight,WKT\n")
            for i, (x, y, w) in enumerate([(104, 30, 100), (106, 31, 200), (108, 32, 300)]):
                f.write(f'r{i + 1},{w},"POLYGON(({x - .1} {y - .1},{x + .1} {y - .1},'
                        f'{x + .1} {y + .1},{x - .1} {y + .1},{x - .1} {y - .1}))"\n')
        run("ogr2ogr", "-f", "GPKG", str(OUT / "regions.gpkg"), str(regions),
            "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO",
            "-oo", "AUTODETECT_TYPE=YES", "-a_srs", "EPSG:4326", "-nln", "regions", "-lco", "SPATIAL_INDEX=NO")
        roads = pathlib.Path(tmp) / "roads.csv"
        with open(roads, "w", encoding="utf-8") as f:
            f.write('id,WKT\nroad1,"LINESTRING(104 30,105 31)"\n')
        run("ogr2ogr", "-f", "GPKG", str(OUT / "roads.gpkg"), str(roads),
            "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO",
            "-a_srs", "EPSG:4326", "-nln", "roads", "-lco", "SPATIAL_INDEX=NO")

    run("ogr2ogr", "-f", "GPKG", "-t_srs",
        "+proj=tmerc +lat_0=0 +lon_0=105 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
        "-lco", "SPATIAL_INDEX=NO", str(OUT / "local_grid.gpkg"), str(OUT / "outlets.gpkg"))

    nan = OUT / "nan_point.gpkg"
    shutil.copy(OUT / "cities.gpkg", nan)
    db = sqlite3.connect(nan)
    # GDAL's triggers call its own SQL functions; the copy needs none of them.
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f'DROP TRIGGER "{name}"')
    (fid, blob), = db.execute("SELECT fid, geom FROM cities ORDER BY fid LIMIT 1 OFFSET 4")
    header = 8  # 'GP', version, flags, srs_id; points are written without an envelope
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
    start = header + envelope
    nan_blob = blob[:start] + blob[start:start + 5] + struct.pack("<dd", math.nan, math.nan)
    db.execute("UPDATE cities SET geom = ? WHERE fid = ?", (nan_blob, fid))
    db.commit()
    db.close()

    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
