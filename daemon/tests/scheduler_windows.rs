//! The planner driven by a manual clock through maintenance windows.

mod policy_support;

use hwupd::catalog::document::Severity;
use hwupd::policy::{
    Candidate, Decision, Environment, HoldReason, Policy, PolicyStore, PowerState,
};
use hwupd::scheduler::{plan, plan_candidates, Clock, ManualClock, StagedUpdate};
use hwupd::window::Windows;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use policy_support::{at, environment, policy, release, release_with, windows};

fn staged(id: &str, severity: Severity, exploited: bool, date: &str, minutes: i64) -> StagedUpdate {
    StagedUpdate {
        release_id: id.to_owned(),
        device_id: format!("device-{id}"),
        payload_sha256: "00".repeat(32),
        severity,
        known_exploited: exploited,
        release_date: date.parse::<Date>().unwrap(),
        estimated_duration: SignedDuration::from_mins(minutes),
    }
}

fn plan_at(
    policy: &Policy,
    staged: &[StagedUpdate],
    windows: &Windows,
    now: Timestamp,
) -> Vec<Decision> {
    let power = PowerState::default();
    let env = environment(now, windows, &power);
    plan(policy, staged, &env)
        .entries
        .into_iter()
        .map(|entry| entry.decision)
        .collect()
}

fn started_ids(
    policy: &Policy,
    staged: &[StagedUpdate],
    windows: &Windows,
    now: Timestamp,
) -> Vec<String> {
    let power = PowerState::default();
    let env = environment(now, windows, &power);
    plan(policy, staged, &env)
        .to_start()
        .map(|update| update.release_id.clone())
        .collect()
}

/// Moves `clock` minute by minute until `end`, starting the first planned
/// update whenever none is running, and returns each start time and release.
fn run_minutes(
    clock: &ManualClock,
    end: Timestamp,
    policy: &Policy,
    windows: &Windows,
    staged: &mut Vec<StagedUpdate>,
) -> Vec<(Timestamp, String)> {
    let power = PowerState::default();
    let mut starts = Vec::new();
    let mut busy_until = Timestamp::MIN;
    while clock.now() < end {
        let now = clock.now();
        if now >= busy_until {
            let env = environment(now, windows, &power);
            let first = plan(policy, staged, &env).to_start().next().cloned();
            if let Some(update) = first {
                busy_until = now.checked_add(update.estimated_duration).unwrap();
                staged.retain(|other| other.release_id != update.release_id);
                starts.push((now, update.release_id));
            }
        }
        clock.advance(SignedDuration::from_mins(1));
    }
    starts
}

#[test]
fn clock_through_window_starts_in_priority_order() {
    // The window lasts 25 minutes: the exploited update (10 min) and the low
    // one (5 min) fit on the first night, the critical one (20 min) does not
    // fit after the exploited one and waits for the next night.
    let nightly = windows(&[("nightly", "*-*-* 02:00", "25min")]);
    let policy = policy();
    let mut pending = vec![
        staged(
            "capsule-critical",
            Severity::Critical,
            false,
            "2025-05-01",
            20,
        ),
        staged("kmod-low", Severity::Low, false, "2025-04-01", 5),
        staged("tb-exploited", Severity::High, true, "2025-06-01", 10),
    ];
    let clock = ManualClock::new(at("2025-06-10T00:00:00Z"));

    let before = plan_at(&policy, &pending, &nightly, at("2025-06-10T01:59:00Z"));
    let tonight = Decision::WaitForWindow {
        opens_at: at("2025-06-10T02:00:00Z"),
        window: "nightly".to_owned(),
    };
    assert!(
        before.iter().all(|decision| *decision == tonight),
        "{before:?}"
    );

    let starts = run_minutes(
        &clock,
        at("2025-06-11T03:00:00Z"),
        &policy,
        &nightly,
        &mut pending,
    );
    let expected = [
        (at("2025-06-10T02:00:00Z"), "tb-exploited".to_owned()),
        (at("2025-06-10T02:10:00Z"), "kmod-low".to_owned()),
        (at("2025-06-11T02:00:00Z"), "capsule-critical".to_owned()),
    ];
    assert_eq!(starts, expected);
    assert!(pending.is_empty());
}

#[test]
fn overrunning_update_reports_next_opening() {
    let nightly = windows(&[("nightly", "*-*-* 02:00", "25min")]);
    let pending = [
        staged("tb-exploited", Severity::High, true, "2025-06-01", 10),
        staged(
            "capsule-critical",
            Severity::Critical,
            false,
            "2025-05-01",
            20,
        ),
        staged("kmod-low", Severity::Low, false, "2025-04-01", 5),
    ];
    let decisions = plan_at(&policy(), &pending, &nightly, at("2025-06-10T02:00:00Z"));
    let tomorrow = Decision::WaitForWindow {
        opens_at: at("2025-06-11T02:00:00Z"),
        window: "nightly".to_owned(),
    };
    assert_eq!(decisions, [Decision::Apply, tomorrow, Decision::Apply]);
}

#[test]
fn nothing_starts_after_window_closes() {
    let nightly = windows(&[("nightly", "*-*-* 02:00", "25min")]);
    let pending = [staged("kmod-low", Severity::Low, false, "2025-04-01", 5)];
    let ids = started_ids(&policy(), &pending, &nightly, at("2025-06-10T02:21:00Z"));
    assert!(ids.is_empty(), "{ids:?}");
    let ids = started_ids(&policy(), &pending, &nightly, at("2025-06-10T02:20:00Z"));
    assert_eq!(ids, ["kmod-low"]);
}

#[test]
fn priority_is_exploited_then_severity_then_age() {
    let long = windows(&[("day", "*-*-* 00:00", "12h")]);
    let pending = [
        staged("low-old", Severity::Low, false, "2024-01-01", 1),
        staged("critical-new", Severity::Critical, false, "2025-06-01", 1),
        staged("medium-exploited", Severity::Medium, true, "2025-06-01", 1),
        staged("critical-old", Severity::Critical, false, "2025-01-01", 1),
        staged(
            "unknown",
            Severity::Unknown("urgent".to_owned()),
            false,
            "2020-01-01",
            1,
        ),
    ];
    let ids = started_ids(&policy(), &pending, &long, at("2025-06-10T01:00:00Z"));
    let expected = [
        "medium-exploited",
        "critical-old",
        "critical-new",
        "low-old",
        "unknown",
    ];
    assert_eq!(ids, expected);
}

#[test]
fn spring_forward_day_waits_a_day() {
    // 02:30 is skipped in Berlin on 2025-03-30, so the window first opens on 03-31.
    let night = windows(&[("night", "*-*-* 02:30 Europe/Berlin", "1h")]);
    let mut pending = vec![staged("bios", Severity::Critical, false, "2025-03-01", 20)];
    let clock = ManualClock::new(at("2025-03-29T23:00:00Z"));

    let first = plan_at(&policy(), &pending, &night, clock.now());
    let expected = Decision::WaitForWindow {
        opens_at: at("2025-03-31T00:30:00Z"),
        window: "night".to_owned(),
    };
    assert_eq!(first, [expected]);

    let starts = run_minutes(
        &clock,
        at("2025-03-31T02:00:00Z"),
        &policy(),
        &night,
        &mut pending,
    );
    assert_eq!(starts, [(at("2025-03-31T00:30:00Z"), "bios".to_owned())]);
}

#[test]
fn overlapping_windows_extend_the_deadline() {
    let needed = 150;
    let pending = [staged(
        "bios",
        Severity::Critical,
        false,
        "2025-06-01",
        needed,
    )];
    let early_only = windows(&[("early", "*-*-* 01:00", "1h")]);
    let both = windows(&[
        ("early", "*-*-* 01:00", "1h"),
        ("late", "*-*-* 01:30", "2h"),
    ]);
    let now = at("2025-06-10T01:00:00Z");

    let alone = plan_at(&policy(), &pending, &early_only, now);
    let estimated = SignedDuration::from_mins(needed);
    assert_eq!(
        alone,
        [Decision::Hold(HoldReason::NoWindowFits { estimated })]
    );

    assert_eq!(plan_at(&policy(), &pending, &both, now), [Decision::Apply]);
}

#[test]
fn inhibit_until_time_then_apply() {
    let state_dir = tempfile::tempdir().unwrap();
    let mut store = PolicyStore::open(state_dir.path()).unwrap();
    let clock = ManualClock::new(at("2025-06-10T01:00:00Z"));
    store
        .inhibit("month-end close", at("2025-06-10T02:15:00Z"), clock.now())
        .unwrap();
    let policy = Policy {
        state: store.state().clone(),
        ..policy()
    };

    let nightly = windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let mut pending = vec![staged("bios", Severity::Critical, false, "2025-06-01", 20)];
    let inhibited = plan_at(&policy, &pending, &nightly, at("2025-06-10T02:05:00Z"));
    let reason = HoldReason::Inhibited {
        until: at("2025-06-10T02:15:00Z"),
        reason: "month-end close".to_owned(),
    };
    assert_eq!(inhibited, [Decision::Hold(reason)]);

    let starts = run_minutes(
        &clock,
        at("2025-06-10T04:00:00Z"),
        &policy,
        &nightly,
        &mut pending,
    );
    assert_eq!(starts, [(at("2025-06-10T02:15:00Z"), "bios".to_owned())]);
}

#[test]
fn apply_now_packs_nothing_and_starts_all() {
    let none = Windows::none();
    let power = PowerState::default();
    let pending = [
        staged("a", Severity::Low, false, "2025-06-01", 30),
        staged("b", Severity::High, false, "2025-06-01", 30),
    ];
    let env = Environment {
        apply_now: true,
        ..environment(at("2025-06-10T12:00:00Z"), &none, &power)
    };
    let plan = plan(&policy(), &pending, &env);
    let ids: Vec<&str> = plan
        .to_start()
        .map(|update| update.release_id.as_str())
        .collect();
    assert_eq!(ids, ["b", "a"]);
}

#[test]
fn plan_candidates_keeps_release_holds() {
    let nightly = windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let power = PowerState::default();
    let critical = release("bios-2", "critical", "2025-06-01");
    let medium = release_with("nic-1", "medium", "2025-06-09", "kmod");
    let candidates = [
        Candidate {
            release: &medium,
            device_id: "nic",
            staged: true,
        },
        Candidate {
            release: &critical,
            device_id: "system-firmware",
            staged: true,
        },
    ];
    let env = environment(at("2025-06-10T02:00:00Z"), &nightly, &power);
    let plan = plan_candidates(&policy(), &candidates, &env);

    assert_eq!(plan.entries[0].update.release_id, "bios-2");
    assert_eq!(plan.entries[0].decision, Decision::Apply);
    assert_eq!(plan.entries[1].update.release_id, "nic-1");
    let deferred = HoldReason::Deferred {
        until: at("2025-06-16T00:00:00Z"),
    };
    assert_eq!(plan.entries[1].decision, Decision::Hold(deferred));
}

#[test]
fn staged_update_estimates_by_install_method() {
    let capsule = StagedUpdate::from_release(&release("bios-2", "critical", "2025-06-01"), "fw");
    let module =
        StagedUpdate::from_release(&release_with("nic", "low", "2025-06-01", "kmod"), "nic");
    assert_eq!(capsule.estimated_duration, SignedDuration::from_mins(20));
    assert_eq!(module.estimated_duration, SignedDuration::from_mins(5));
    assert_eq!(capsule.device_id, "fw");
}

#[test]
fn plan_serializes_for_status() {
    let nightly = windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let power = PowerState::default();
    let pending = [staged("bios", Severity::Critical, false, "2025-06-01", 20)];
    let env = environment(at("2025-06-10T02:00:00Z"), &nightly, &power);
    let json = serde_json::to_value(plan(&policy(), &pending, &env)).unwrap();
    assert_eq!(json["entries"][0]["update"]["release_id"], "bios");
    assert_eq!(json["entries"][0]["update"]["estimated_duration"], "PT20M");
    assert_eq!(json["entries"][0]["decision"]["decision"], "apply");
}
