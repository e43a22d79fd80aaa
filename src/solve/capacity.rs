//! Capacitated assignment: given open sites with capacities, assign the
//! demand within reach so that as much weight as possible is served without
//! any site going over its capacity.
//!
//! This is a maximum flow on the bipartite graph source → row (its weight) →
//! site within reach (unbounded) → sink (the site's capacity), solved with
//! Dinic's algorithm. Demand is divisible (a row's weight may be split between
//! sites), as a service workload is.

use crate::coverage::CoverageModel;

/// The result of an assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Load (assigned weight) per open site, in the order given.
    pub load: Vec<f64>,
    /// Weight within reach of an open site.
    pub within_reach: f64,
    /// Weight assigned within capacities.
    pub assigned: f64,
    /// Per row of the model: (index into `open`, weight served), for rows
    /// with any flow.
    pub row_flows: Vec<Vec<(u32, f64)>>,
}

struct Edge {
    to: usize,
    cap: f64,
    /// Residual capacity at or below which the edge counts as saturated:
    /// a relative [`REL_EPS`] of the amounts the edge carries, so that float
    /// residues never look like room, while a site whose capacity is tiny
    /// beside the total demand still takes its share.
    tol: f64,
}

/// Relative slack of an edge's residual capacity (see [`Edge::tol`]).
const REL_EPS: f64 = 1e-12;

struct Graph {
    edges: Vec<Edge>,
    adj: Vec<Vec<usize>>,
}

impl Graph {
    fn new(n: usize) -> Self {
        Graph {
            edges: Vec::new(),
            adj: vec![Vec::new(); n],
        }
    }
    /// Adds an edge of capacity `cap` (and its reverse), carrying amounts of
    /// the order of `scale` (a finite, non-negative weight).
    fn add(&mut self, a: usize, b: usize, cap: f64, scale: f64) {
        let tol = REL_EPS * scale;
        self.adj[a].push(self.edges.len());
        self.edges.push(Edge { to: b, cap, tol });
        self.adj[b].push(self.edges.len());
        self.edges.push(Edge {
            to: a,
            cap: 0.0,
            tol,
        });
    }
    fn max_flow(&mut self, s: usize, t: usize) -> f64 {
        let n = self.adj.len();
        let mut flow = 0.0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.adj[v] {
                    let to = self.edges[e].to;
                    if self.edges[e].cap > self.edges[e].tol && level[to] == usize::MAX {
                        level[to] = level[v] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[t] == usize::MAX {
                return flow;
            }
            let mut it = vec![0usize; n];
            loop {
                let f = self.push(s, t, f64::INFINITY, &level, &mut it);
                if f <= 0.0 {
                    break;
                }
                flow += f;
            }
        }
    }
    fn push(&mut self, s: usize, t: usize, limit: f64, level: &[usize], it: &mut [usize]) -> f64 {
        // Iterative DFS along the level graph, one augmenting path at a time.
        let mut path: Vec<usize> = Vec::new();
        let mut v = s;
        loop {
            if v == t {
                let f = path
                    .iter()
                    .map(|&e| self.edges[e].cap)
                    .fold(limit, f64::min);
                for &e in &path {
                    self.edges[e].cap -= f;
                    self.edges[e ^ 1].cap += f;
                }
                return f;
            }
            let mut advanced = false;
            while it[v] < self.adj[v].len() {
                let e = self.adj[v][it[v]];
                let to = self.edges[e].to;
                if self.edges[e].cap > self.edges[e].tol && level[to] == level[v] + 1 {
                    path.push(e);
                    v = to;
                    advanced = true;
                    break;
                }
                it[v] += 1;
            }
            if !advanced {
                if v == s {
                    return 0.0;
                }
                // Dead end: retreat and skip this edge next time.
                let e = path.pop().expect("not at source");
                v = self.edges[e ^ 1].to;
                it[v] += 1;
            }
        }
    }
}

/// The amounts a site's edge to the sink carries: its capacity, or the
/// demand in all when it has none.
fn sink_scale(cap: f64, total: f64) -> f64 {
    if cap.is_finite() { cap } else { total }
}

/// Assigns the rows of `model` to the `open` candidates (with `capacity` each).
///
/// `model` must have been built with every open site as a candidate (no fixed
/// sites removed), so that rows name all the sites that can serve them.
pub fn assign(model: &CoverageModel, open: &[u32], capacity: &[f64]) -> Assignment {
    let nr = model.n_rows();
    let mut slot = vec![usize::MAX; model.n_candidates];
    for (k, &j) in open.iter().enumerate() {
        slot[j as usize] = k;
    }
    // Nodes: 0 source, 1 sink, 2.. sites, then rows within reach.
    let mut g = Graph::new(2 + open.len());
    let mut within = 0.0;
    let mut row_edges: Vec<(usize, Vec<(u32, usize)>)> = Vec::new();
    let total: f64 = model.row_weight.iter().sum();
    for r in 0..nr {
        let reach: Vec<usize> = model
            .cands_of(r)
            .iter()
            .map(|&j| slot[j as usize])
            .filter(|&k| k != usize::MAX)
            .collect();
        if reach.is_empty() {
            continue;
        }
        let w = model.row_weight[r];
        within += w;
        let node = g.adj.len();
        g.adj.push(Vec::new());
        g.add(0, node, w, w);
        let mut edges = Vec::with_capacity(reach.len());
        for k in reach {
            edges.push((k as u32, g.edges.len()));
            g.add(node, 2 + k, f64::INFINITY, w);
        }
        row_edges.push((r, edges));
    }
    let mut sink_edges = Vec::with_capacity(open.len());
    for (k, &cap) in capacity.iter().enumerate() {
        sink_edges.push(g.edges.len());
        g.add(2 + k, 1, cap, sink_scale(cap, total));
    }
    let assigned = g.max_flow(0, 1);
    // The flow on an edge is its reverse edge's residual capacity; reading it
    // there (not as capacity minus residual) keeps uncapacitated sites finite.
    let load = sink_edges.iter().map(|&e| g.edges[e ^ 1].cap).collect();
    let mut row_flows = vec![Vec::new(); nr];
    for (r, edges) in row_edges {
        row_flows[r] = edges
            .into_iter()
            .map(|(k, e)| (k, g.edges[e ^ 1].cap))
            .filter(|&(_, f)| f > 0.0)
            .collect();
    }
    Assignment {
        load,
        within_reach: within,
        assigned,
        row_flows,
    }
}

/// Weight served within capacities when only `sites` (columns of `model`)
/// are open, counting only `rows`: the maximum flow of the sub-network.
/// Used on the connected pieces of a network, whose flows add up to the
/// whole network's. `slot` is scratch of length `n_candidates`, all
/// `usize::MAX` on entry and on return.
pub(crate) fn served_on(
    model: &CoverageModel,
    rows: &[u32],
    sites: &[u32],
    caps: &[f64],
    slot: &mut [usize],
) -> f64 {
    for (k, &j) in sites.iter().enumerate() {
        slot[j as usize] = k;
    }
    let mut g = Graph::new(2 + sites.len());
    let mut total = 0.0;
    for &r in rows {
        let w = model.row_weight[r as usize];
        if w <= 0.0 {
            continue;
        }
        let node = g.adj.len();
        g.adj.push(Vec::new());
        g.add(0, node, w, w);
        total += w;
        for &j in model.cands_of(r as usize) {
            let k = slot[j as usize];
            if k != usize::MAX {
                g.add(node, 2 + k, f64::INFINITY, w);
            }
        }
    }
    for (k, &j) in sites.iter().enumerate() {
        let cap = caps[j as usize];
        g.add(2 + k, 1, cap, sink_scale(cap, total));
    }
    for &j in sites {
        slot[j as usize] = usize::MAX;
    }
    g.max_flow(0, 1)
}

/// Capacity-aware greedy: opens up to `p` candidates (indices `n_fixed..` of
/// `model`, whose first `n_fixed` columns are sites already open), each time
/// the one that can serve the most weight not yet served, counting at most
/// its capacity. Opening a site takes the rows it reaches, those with the
/// fewest other sites first, up to its capacity. The final service is then
/// measured exactly by [`assign`].
pub fn greedy_capacitated(
    model: &CoverageModel,
    caps: &[f64],
    n_fixed: usize,
    p: usize,
) -> Vec<u32> {
    let mut residual = model.row_weight.clone();
    let take = |j: usize, residual: &mut [f64]| {
        let mut rows: Vec<u32> = model.rows_of(j).to_vec();
        rows.sort_by_key(|&r| (model.cands_of(r as usize).len(), r));
        let mut left = caps[j];
        for r in rows {
            if left <= 0.0 {
                break;
            }
            let t = residual[r as usize].min(left);
            residual[r as usize] -= t;
            left -= t;
        }
    };
    for j in 0..n_fixed {
        take(j, &mut residual);
    }
    let gain = |j: usize, residual: &[f64]| -> f64 {
        let reach: f64 = model.rows_of(j).iter().map(|&r| residual[r as usize]).sum();
        reach.min(caps[j])
    };
    #[derive(PartialEq)]
    struct Key(f64, u32);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
        }
    }
    let mut heap: std::collections::BinaryHeap<Key> = (n_fixed..model.n_candidates)
        .map(|j| Key(gain(j, &residual), j as u32))
        .collect();
    let mut chosen = Vec::new();
    while chosen.len() < p {
        let Some(Key(_, j)) = heap.pop() else { break };
        let g = gain(j as usize, &residual);
        if let Some(top) = heap.peek()
            && Key(g, j) < *top
        {
            heap.push(Key(g, j));
            continue;
        }
        if g <= 0.0 {
            break;
        }
        take(j as usize, &mut residual);
        chosen.push(j);
    }
    chosen
}

/// Upper bound on the weight open sites can serve within capacities: each
/// site serves at most the smaller of its capacity and the weight within its
/// reach; the fixed sites plus the `p` best candidates.
pub fn served_bound(model: &CoverageModel, caps: &[f64], n_fixed: usize, p: usize) -> f64 {
    let each = |j: usize| -> f64 {
        let reach: f64 = model
            .rows_of(j)
            .iter()
            .map(|&r| model.row_weight[r as usize])
            .sum();
        reach.min(caps[j])
    };
    let fixed: f64 = (0..n_fixed).map(each).sum();
    let mut rest: Vec<f64> = (n_fixed..model.n_candidates).map(each).collect();
    rest.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = model.row_weight.iter().sum();
    (fixed + rest.iter().take(p).sum::<f64>()).min(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::build;
    use crate::sphere::{Radius, to_unit};

    /// Two sites 1° apart and three points of weight `w`: one only near
    /// the first site, one within reach of both, one only near the second.
    fn two_sites_three_points(w: f64) -> CoverageModel {
        let pts = [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)];
        let units: Vec<_> = pts.iter().map(|p| to_unit(p.0, p.1)).collect();
        let sites = [to_unit(0.0, 0.0), to_unit(1.0, 0.0)];
        build(
            &crate::metric::GreatCircle::default(),
            &units,
            &[w; 3],
            &[],
            &sites,
            Radius::from_km(60.0),
        )
    }

    #[test]
    fn respects_capacities_and_maximises_served_weight() {
        let m = two_sites_three_points(10.0);
        // A first-come assignment that gives the shared point to A would leave A's own point out.
        let a = assign(&m, &[0, 1], &[10.0, 20.0]);
        assert!((a.assigned - 30.0).abs() < 1e-9);
        assert!((a.load[0] - 10.0).abs() < 1e-9 && (a.load[1] - 20.0).abs() < 1e-9);
        let a = assign(&m, &[0, 1], &[5.0, 5.0]);
        assert!((a.assigned - 10.0).abs() < 1e-9);
        assert!((a.within_reach - 30.0).abs() < 1e-9);
    }

    #[test]
    fn a_tiny_capacity_beside_huge_weights_is_still_used() {
        // Capacity 10 beside rows of 1e12: a tolerance relative to the total
        // demand (1e-12 * 3e12 = 3) would still pass, but 1e13 rows would not.
        let m = two_sites_three_points(1e13);
        let a = assign(&m, &[0, 1], &[10.0, f64::INFINITY]);
        assert_eq!(a.load[0], 10.0);
        assert_eq!(a.load[1], 2e13);
        assert_eq!(a.assigned, 2e13 + 10.0);
        let served: f64 = a.row_flows.iter().flatten().map(|f| f.1).sum();
        assert_eq!(served, a.assigned);
        let mut slot = vec![usize::MAX; 2];
        let rows: Vec<u32> = (0..m.n_rows() as u32).collect();
        let v = served_on(&m, &rows, &[0, 1], &[10.0, f64::INFINITY], &mut slot);
        assert_eq!(v, 2e13 + 10.0);
    }
}
