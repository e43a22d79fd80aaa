//! Relocation (`--relocate K`): up to K movable existing outlets may close
//! and as many new sites open, on top of `--add`, where that covers more.
//!
//! The plan is the best over the ways of closing outlets: for each set `C` of
//! at most K movable outlets, the outlets minus `C` stay open and `|C|` more
//! new sites are planned (with a budget, the closed outlets' costs are freed).
//! When there are few such sets (always with a handful of outlets) every one
//! is planned, so the answer is the best of them and the bound is the largest
//! of their bounds: a valid bound for the whole problem, and a proof of
//! optimality when each plan is proven. With many outlets, closures are added
//! one at a time while one helps (K rounds over the movable outlets), and the
//! bound is that of the relaxation where every movable outlet is a candidate.

use super::{PlanOutput, Task, plan_network};
use crate::assemble::OpenSite;
use crate::config::PlanConfig;
use crate::input::PlaceSet;
use crate::metric::Metric;
use crate::progress::Progress;
use crate::report::{RelocationReport, SiteStatus, fmt_pct};
use crate::solve::exhaustive::binomial;
use anyhow::{Result, bail};

/// Most ways of closing outlets planned one by one; beyond, the greedy rounds.
const MAX_OPTIONS: u64 = 256;

/// Plans with relocation.
///
/// # Errors
/// A `--fixed` id that names no existing outlet; as [`super::plan_with`].
pub(super) fn plan_relocating<M: Metric>(
    task: &Task<'_, M>,
    pc: &PlanConfig,
) -> Result<PlanOutput> {
    let existing = &task.loaded.existing;
    for id in &pc.fixed {
        if !existing
            .iter()
            .any(|p| p.id == *id || p.name.as_deref() == Some(id.as_str()))
        {
            let known: Vec<&str> = existing.ids().take(8).collect();
            bail!(
                "--fixed {id:?}: no existing outlet has that id (the outlets of {} are {}{})",
                existing.source,
                known.join(", "),
                if existing.len() > known.len() {
                    ", ..."
                } else {
                    ""
                }
            );
        }
    }
    let is_fixed = |i: usize| {
        let p = &existing.place(i);
        p.fixed
            || pc
                .fixed
                .iter()
                .any(|id| p.id == *id || p.name.as_deref() == Some(id.as_str()))
    };
    let movable: Vec<usize> = (0..existing.len()).filter(|&i| !is_fixed(i)).collect();
    let k = pc.relocate.min(movable.len());
    if k == 0 {
        // Nothing may move: the plain plan, saying why.
        let mut out = plan_network(task, pc, existing)?;
        out.report.notes.push(format!(
            "relocation: no outlet can move ({} existing, {} fixed): this is the plan keeping every outlet",
            existing.len(),
            existing.len() - movable.len()
        ));
        out.report.relocation = Some(RelocationReport {
            relocate: pc.relocate,
            movable: 0,
            fixed: existing.len(),
            closed: Vec::new(),
            baseline_value: out.report.objective_value.as_ref().map_or(0.0, |v| v.value),
            value: out.report.objective_value.as_ref().map_or(0.0, |v| v.value),
            options_tried: 1,
            exhaustive: true,
        });
        return Ok(out);
    }
    let options: u64 = (0..=k)
        .map(|c| binomial(movable.len(), c))
        .fold(0u64, u64::saturating_add);
    let exhaustive = options <= MAX_OPTIONS;

    let quiet = Progress::new(true);
    let inner = Task {
        progress: &quiet,
        ..*task
    };
    let run = |closed: &[usize]| -> Result<PlanOutput> {
        let kept = existing.subset((0..existing.len()).filter(|i| !closed.contains(i)));
        let saved: f64 = closed
            .iter()
            .map(|&i| existing.cost(i).unwrap_or(0.0))
            .sum();
        let sub = PlanConfig {
            add: pc.add.map(|n| n + closed.len()),
            budget: pc.budget.map(|b| b + saved),
            relocate: 0,
            fixed: Vec::new(),
            ..pc.clone()
        };
        plan_network(&inner, &sub, &kept)
    };
    let value = |o: &PlanOutput| o.report.objective_value.as_ref().map_or(0.0, |v| v.value);

    task.progress.stage("relocation: keeping every outlet");
    let baseline = run(&[])?;
    let base_value = value(&baseline);
    let mut best: (Vec<usize>, f64) = (Vec::new(), base_value);
    let mut singles: Vec<(usize, f64)> = Vec::new();
    let mut tried = 1usize;
    let mut bound = baseline.report.bound.as_ref().map(|b| b.value);
    let mut proven = baseline.report.bound.as_ref().is_some_and(|b| b.gap == 0.0);
    let better = |v: f64, than: f64| v > than + 1e-12 * than.abs().max(1.0);
    let mut best_out = None;
    if exhaustive {
        for size in 1..=k {
            for pick in combinations(movable.len(), size) {
                let closed: Vec<usize> = pick.iter().map(|&m| movable[m]).collect();
                task.progress
                    .stage(&format!("relocation: closing {}", names(existing, &closed)));
                let out = run(&closed)?;
                tried += 1;
                let v = value(&out);
                if size == 1 {
                    singles.push((closed[0], v));
                }
                match (&mut bound, out.report.bound.as_ref()) {
                    (Some(b), Some(ob)) => *b = b.max(ob.value),
                    _ => bound = None,
                }
                proven &= out.report.bound.as_ref().is_some_and(|b| b.gap == 0.0);
                if better(v, best.1) {
                    best = (closed, v);
                    best_out = Some(out);
                }
            }
        }
    } else {
        // Greedy rounds: add the one closure that helps most, while one helps.
        for _ in 0..k {
            let mut round: Option<(Vec<usize>, f64, PlanOutput)> = None;
            for &m in &movable {
                if best.0.contains(&m) {
                    continue;
                }
                let mut closed = best.0.clone();
                closed.push(m);
                closed.sort_unstable();
                task.progress
                    .stage(&format!("relocation: closing {}", names(existing, &closed)));
                let out = run(&closed)?;
                tried += 1;
                let v = value(&out);
                if closed.len() == 1 {
                    singles.push((m, v));
                }
                if better(v, round.as_ref().map_or(best.1, |r| r.1)) {
                    round = Some((closed, v, out));
                }
            }
            match round {
                Some((closed, v, out)) => {
                    best = (closed, v);
                    best_out = Some(out);
                }
                None => break,
            }
        }
        // The relaxation: every movable outlet a candidate, as many sites in all.
        bound = relaxed_bound(task, pc, &movable, &is_fixed)?;
        proven = false;
    }

    // The closed outlets, as they were before the move.
    let closed_sites: Vec<_> = best
        .0
        .iter()
        .map(|&i| {
            let mut site = baseline
                .report
                .sites
                .iter()
                .find(|s| s.id == existing.id(i) && s.status == SiteStatus::Existing)
                .cloned()
                .expect("the baseline keeps every outlet");
            site.status = SiteStatus::Closed;
            site.assigned_weight = 0.0;
            site
        })
        .collect();
    let mut out = best_out.unwrap_or(baseline);
    let achieved = best.1;
    if let Some(b) = &mut out.report.bound {
        match bound {
            Some(v) => {
                b.value = v.max(achieved);
                b.gap = if b.value > 0.0 {
                    ((b.value - achieved) / b.value).max(0.0)
                } else {
                    0.0
                };
                b.method = if exhaustive {
                    format!(
                        "the largest of {tried} bounds, one per way to close at most {k} outlet{}; each: {}",
                        if k == 1 { "" } else { "s" },
                        b.method
                    )
                } else {
                    "relaxation: every movable outlet a candidate (upper bound)".into()
                };
                if exhaustive && proven {
                    b.gap = 0.0;
                }
            }
            None => out.report.bound = None,
        }
    }
    out.report.sites.extend(closed_sites);
    let total = out.report.demand.total_weight;
    let pp = |w: f64| {
        if total > 0.0 { 100.0 * w / total } else { 0.0 }
    };
    out.report.notes.push(if best.0.is_empty() {
        format!(
            "relocation: moving no outlet is best ({tried} ways to close at most {k} of {} movable outlet{} tried)",
            movable.len(),
            if movable.len() == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "relocation: closing {} and opening {} more new site{} covers {:+.2} pp more than keeping every outlet ({} of demand weight; {tried} ways tried)",
            names(existing, &best.0),
            best.0.len(),
            if best.0.len() == 1 { "" } else { "s" },
            pp(achieved - base_value),
            fmt_pct(if total > 0.0 { achieved / total } else { 0.0 })
        )
    });
    if !singles.is_empty() {
        singles.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let shown: Vec<String> = singles
            .iter()
            .take(5)
            .map(|&(i, v)| format!("{} {:+.2} pp", existing.label(i), pp(v - base_value)))
            .collect();
        out.report.notes.push(format!(
            "moving one outlet (and opening one more new site): {}",
            shown.join(", ")
        ));
    }
    out.report.relocation = Some(RelocationReport {
        relocate: pc.relocate,
        movable: movable.len(),
        fixed: existing.len() - movable.len(),
        closed: best.0.iter().map(|&i| existing.id(i).to_string()).collect(),
        baseline_value: base_value,
        value: achieved,
        options_tried: tried,
        exhaustive,
    });
    // Closed outlets are not open: the open list, maps and files leave them out.
    out.open.retain(|s: &OpenSite| {
        !best
            .0
            .iter()
            .any(|&i| s.status == SiteStatus::Existing && s.place.id == existing.id(i))
    });
    Ok(out)
}

/// The bound of the relaxation where every movable outlet is a candidate
/// and the plan opens as many sites as there are movable outlets plus `--add`.
fn relaxed_bound<M: Metric>(
    task: &Task<'_, M>,
    pc: &PlanConfig,
    movable: &[usize],
    is_fixed: &dyn Fn(usize) -> bool,
) -> Result<Option<f64>> {
    let existing = &task.loaded.existing;
    let fixed = existing.subset((0..existing.len()).filter(|&i| is_fixed(i)));
    let mut cands = task.cands.clone();
    cands.set_places(
        movable
            .iter()
            .map(|&i| existing.place(i))
            .chain(task.cands.iter()),
    );
    let quiet = Progress::new(true);
    let relaxed = Task {
        cands: &cands,
        progress: &quiet,
        ..*task
    };
    let sub = PlanConfig {
        add: pc.add.map(|n| n + movable.len()),
        budget: pc.budget.map(|b| {
            b + movable
                .iter()
                .map(|&i| existing.cost(i).unwrap_or(0.0))
                .sum::<f64>()
        }),
        relocate: 0,
        fixed: Vec::new(),
        bound: true,
        ..pc.clone()
    };
    let out = plan_network(&relaxed, &sub, &fixed)?;
    Ok(out.report.bound.map(|b| b.value))
}

/// The labels of some existing outlets, joined.
fn names(existing: &PlaceSet, which: &[usize]) -> String {
    which
        .iter()
        .map(|&i| existing.label(i).to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Every `size`-subset of `0..n`, in lexicographic order.
fn combinations(n: usize, size: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut pick: Vec<usize> = (0..size).collect();
    if size > n {
        return out;
    }
    loop {
        out.push(pick.clone());
        let Some(i) = (0..size).rev().find(|&i| pick[i] < n - size + i) else {
            return out;
        };
        pick[i] += 1;
        for j in i + 1..size {
            pick[j] = pick[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::combinations;

    #[test]
    fn combinations_are_every_subset_once() {
        assert_eq!(combinations(4, 2).len(), 6);
        assert_eq!(combinations(3, 0), vec![Vec::<usize>::new()]);
        assert_eq!(combinations(2, 3), Vec::<Vec<usize>>::new());
        assert_eq!(combinations(3, 3), vec![vec![0, 1, 2]]);
    }
}
