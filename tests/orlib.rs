//! OR-Library's p-median set (Beasley 1985; `data/orlib`): graph
//! instances whose distances are shortest paths, run through `--costs` with
//! `--exact`, against OR-Library's proven optimal values.

mod common;
use common::outpost;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/orlib")
        .join(name)
}

/// The instance's all-pairs shortest paths (Floyd-Warshall, written here),
/// and `p`. Where an edge is listed twice, the last line counts.
fn read_instance(name: &str) -> (Vec<Vec<u64>>, usize) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines = text.lines();
    let head: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let (n, m, p) = (head[0], head[1], head[2]);
    let inf = u64::MAX / 4;
    let mut d = vec![vec![inf; n]; n];
    (0..n).for_each(|i| d[i][i] = 0);
    let mut edges = 0;
    for line in lines {
        let v: Vec<usize> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        if v.len() < 3 {
            continue;
        }
        let (i, j, c) = (v[0] - 1, v[1] - 1, v[2] as u64);
        d[i][j] = c;
        d[j][i] = c;
        edges += 1;
    }
    assert_eq!(edges, m, "{name}: edge lines");
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                let via = d[i][k] + d[k][j];
                if via < d[i][j] {
                    d[i][j] = via;
                }
            }
        }
    }
    (d, p)
}

fn optimum(name: &str) -> f64 {
    std::fs::read_to_string(fixture("pmedopt.txt"))
        .unwrap()
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(name)).then(|| w.next().unwrap().parse().unwrap())
        })
        .unwrap()
}

/// pmed1-pmed40 (100-900 vertices, p from 5 to 200): every one proven at
/// OR-Library's optimum, bound equal to the answer, gap 0.
#[test]
fn exact_proves_the_or_library_optima() {
    let dir = tempfile::tempdir().unwrap();
    for k in 1..=40 {
        let name = format!("pmed{k}");
        let (d, p) = read_instance(&format!("{name}.txt"));
        let n = d.len();
        let demand = dir.path().join(format!("{name}_places.csv"));
        let costs = dir.path().join(format!("{name}_costs.csv"));
        let ids: String = (1..=n).map(|i| format!("{i}\n")).collect();
        std::fs::write(&demand, format!("id\n{ids}")).unwrap();
        let mut matrix = String::from("origin,destination,cost\n");
        for (i, row) in d.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                matrix.push_str(&format!("{},{},{c}\n", i + 1, j + 1));
            }
        }
        std::fs::write(&costs, matrix).unwrap();
        let out = outpost()
            .args(["plan", "--demand"])
            .arg(&demand)
            .arg("--candidates")
            .arg(&demand)
            .arg("--costs")
            .arg(&costs)
            .args(["--objective", "distance", "--add", &p.to_string()])
            .args(["--exact", "--time-limit", "900", "--format", "json", "-q"])
            .timeout(std::time::Duration::from_secs(1000))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let want = optimum(&name);
        assert_eq!(r["objective_value"]["value"].as_f64(), Some(want), "{name}");
        assert_eq!(r["bound"]["proven"].as_bool(), Some(true), "{name}");
        assert_eq!(r["bound"]["value"].as_f64(), Some(want), "{name}");
        assert_eq!(r["bound"]["gap"].as_f64(), Some(0.0), "{name}");
        // The plan itself: p sites whose shortest-path cost is the optimum.
        let open: Vec<usize> = r["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().parse::<usize>().unwrap() - 1)
            .collect();
        assert_eq!(open.len(), p, "{name}");
        let cost: u64 = d
            .iter()
            .map(|row| open.iter().map(|&j| row[j]).min().unwrap())
            .sum();
        assert_eq!(cost as f64, want, "{name}");
    }
}
