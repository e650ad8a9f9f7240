//! Scheduling of staged updates: the clock, the estimated durations and the planner.
//!
//! The planner is a pure function of its inputs, so the daemon calls it with
//! [`Clock::now`] and tests call it with a [`ManualClock`] they move.

mod clock;
mod estimate;
mod plan;

pub use clock::{Clock, ManualClock, SystemClock};
pub use estimate::default_duration;
pub use plan::{plan, plan_candidates, priority_order, Plan, PlannedUpdate, StagedUpdate};
