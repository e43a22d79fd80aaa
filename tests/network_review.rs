//! The questions a network owner asks, end to end: what each outlet alone is
//! worth (`unique_weight`), checked against an independent haversine count.

mod common;
use common::*;

/// Weight within `km` of exactly one of `sites`, per site, by brute force.
fn unique_by_brute_force(demand: &[Row], sites: &[Row], km: f64) -> Vec<f64> {
    let mut unique = vec![0.0; sites.len()];
    for d in demand {
        let near: Vec<usize> = (0..sites.len())
            .filter(|&j| haversine(d.lon, d.lat, sites[j].lon, sites[j].lat) <= km)
            .collect();
        if let [only] = near[..] {
            unique[only] += d.weight;
        }
    }
    unique
}

#[test]
fn unique_weight_is_what_only_that_outlet_reaches() {
    let demand = read_rows(&data("china_cities.csv"), Some("population"), None);
    let sites = read_rows(&data("china_outlets.csv"), None, None);
    // At 700 km the four outlets overlap a lot: Jinan and Changzhou, Chengdu and Xi'an.
    for km in [200.0, 700.0] {
        let out = outpost()
            .args(["evaluate", "--demand"])
            .arg(data("china_cities.csv"))
            .arg("--sites")
            .arg(data("china_outlets.csv"))
            .args(["--radius", &format!("{km}km"), "--format", "json", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let report = json_of(&out.stdout);
        let want = unique_by_brute_force(&demand, &sites, km);
        let mut overlap = false;
        for (j, s) in sites.iter().enumerate() {
            let got = report["sites"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == s.id.as_str())
                .unwrap();
            let (u, c) = (
                got["unique_weight"].as_f64().unwrap(),
                got["covered_weight"].as_f64().unwrap(),
            );
            // The report rounds to 6 significant digits.
            assert!(
                rel_close(u, want[j], 1e-5),
                "{km} km, {}: {u} vs {}",
                s.id,
                want[j]
            );
            assert!(u <= c);
            overlap |= u < c;
        }
        assert_eq!(
            overlap,
            km > 500.0,
            "{km} km: overlap expected only at 700 km"
        );
    }
}
