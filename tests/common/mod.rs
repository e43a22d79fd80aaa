//! Helpers shared by the integration tests: running the binary, reading the
//! data files, and an independent haversine reference.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

pub fn outpost() -> Command {
    let mut c = Command::cargo_bin("outpost").expect("binary built");
    c.env_remove("RAYON_NUM_THREADS");
    c
}

/// Haversine distance in km, written independently of the crate.
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let r = 6371.0088f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * r * a.min(1.0).sqrt().asin()
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub weight: f64,
    pub group: String,
    pub cost: f64,
    pub capacity: f64,
}

/// Reads a CSV with the given column names (weight/group/cost/capacity optional).
pub fn read_rows(path: &Path, weight: Option<&str>, group: Option<&str>) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).expect("readable csv");
    let h = r.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (id, lon, lat) = (
        col("id").expect("id"),
        col("lon").expect("lon"),
        col("lat").expect("lat"),
    );
    let w = weight.and_then(col);
    let g = group.and_then(col);
    let c = col("cost");
    let cap = col("capacity");
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            Row {
                id: rec[id].to_string(),
                lon: rec[lon].parse().expect("lon"),
                lat: rec[lat].parse().expect("lat"),
                weight: w.map_or(1.0, |i| rec[i].parse().expect("weight")),
                group: g.map_or(String::new(), |i| rec[i].to_string()),
                cost: c.map_or(0.0, |i| rec[i].parse().unwrap_or(0.0)),
                capacity: cap.map_or(f64::INFINITY, |i| rec[i].parse().unwrap_or(f64::INFINITY)),
            }
        })
        .collect()
}

pub fn write_rows(path: &Path, rows: &[Row]) {
    let mut w = csv::Writer::from_path(path).expect("writable");
    w.write_record(["id", "lon", "lat", "weight", "region", "cost", "capacity"])
        .expect("write");
    for r in rows {
        let cap = if r.capacity.is_finite() {
            r.capacity.to_string()
        } else {
            String::new()
        };
        w.write_record([
            r.id.clone(),
            r.lon.to_string(),
            r.lat.to_string(),
            r.weight.to_string(),
            r.group.clone(),
            r.cost.to_string(),
            cap,
        ])
        .expect("write");
    }
    w.flush().expect("flush");
}

/// The JSON report of a run that must succeed (exit 0; else its stderr).
pub fn ok_json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

pub fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

pub fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300)
}

/// Tiny deterministic generator for test instances.
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}
