//! The max-distance objective (p-center): least largest (optionally
//! weighted) distance to the nearest open site.

use super::{Chosen, Sites, Task};
use crate::config::PlanConfig;
use crate::metric::Metric;
use crate::report::BoundReport;
use crate::solve::pcenter;
use std::time::Instant;

/// Farthest-first start, then bisection over the radius with covering tests.
pub(super) fn plan_center<M: Metric>(
    task: &Task<'_, M>,
    sites: &Sites<'_, M::Point>,
    pc: &PlanConfig,
    deadline: Instant,
) -> Chosen {
    let Task {
        metric,
        demand,
        loaded,
        progress,
        ..
    } = *task;
    let (weights, fixed, cands, allowed) =
        (loaded.weights(), sites.fixed, sites.cands, sites.allowed);
    progress.stage("p-center radius search");
    let p = pc.add.expect("checked by the CLI");
    let res = pcenter::solve(
        metric,
        demand,
        weights,
        fixed,
        cands,
        allowed,
        p,
        pc.weighted,
        pc.seed,
        deadline,
    );
    let mut notes = vec![format!(
        "p-center: farthest-first start, then {} radius test{}{}",
        res.tests,
        if res.tests == 1 { "" } else { "s" },
        match res.undecided {
            0 => String::new(),
            n => format!(
                ", {n} of them stopped at their time share undecided (a longer --time-limit can close the gap)"
            ),
        }
    )];
    if res.timed_out {
        notes.push(format!(
            "p-center stopped at --time-limit ({} s) before the answer and the bound met: both are valid, a longer limit may improve them",
            pc.time_limit.as_secs_f64()
        ));
    }
    let bound = match res.reaches_all {
        Some(true) => Some(BoundReport {
            proven: None,
            value: res.lower_bound,
            gap: 0.0,
            method: "largest radius proven infeasible (set-covering branch and bound at each radius tested)".into(),
            achieved: 0.0,
        }),
        // The largest distance is then over the points reached: no bound holds for it.
        Some(false) | None => {
            let why = if res.reaches_all.is_some() {
                "reach every demand point that some site reaches in the cost matrix (proven)"
            } else {
                "reaching every demand point that some site reaches in the cost matrix were found within the time share (a longer --time-limit may find them)"
            };
            notes.push(format!(
                "no {p} new sites {why}: the largest distance is over the points the plan reaches, and no bound is given"
            ));
            None
        }
    };
    Chosen {
        set: res.chosen,
        bound,
        passed: true,
        notes,
    }
}
