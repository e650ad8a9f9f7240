//! Policy::decide: each decision and hold reason, their order, JSON and messages.

mod policy_support;

use hwupd::catalog::document::{Release, Ring, Severity};
use hwupd::policy::{
    Candidate, Decision, Environment, HoldReason, Inhibit, ListEntry, Policy, PowerPolicy,
    PowerState, PowerSupply,
};
use hwupd::window::Windows;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use policy_support::{at, environment, policy, release, windows, SHA256};

/// A day with the nightly window open from 02:00 to 04:00 UTC.
const IN_WINDOW: &str = "2025-06-10T02:30:00Z";
const BEFORE_WINDOW: &str = "2025-06-10T01:00:00Z";

fn nightly() -> Windows {
    windows(&[("nightly", "*-*-* 02:00", "2h")])
}

fn decide(policy: &Policy, release: &Release, staged: bool, env: &Environment<'_>) -> Decision {
    let candidate = Candidate {
        release,
        device_id: "system-firmware",
        staged,
    };
    policy.decide(&candidate, env)
}

/// Decides for a staged release at `now` with the nightly window and no battery.
fn decide_staged(policy: &Policy, release: &Release, now: &str) -> Decision {
    let windows = nightly();
    let power = PowerState::default();
    decide(
        policy,
        release,
        true,
        &environment(at(now), &windows, &power),
    )
}

fn decide_unstaged(policy: &Policy, release: &Release) -> Decision {
    let windows = nightly();
    let power = PowerState::default();
    decide(
        policy,
        release,
        false,
        &environment(at(IN_WINDOW), &windows, &power),
    )
}

fn entry(text: &str) -> ListEntry {
    ListEntry::parse(text).unwrap()
}

fn battery(capacity: &str, status: &str) -> PowerSupply {
    PowerSupply {
        name: "BAT0".to_owned(),
        kind: "Battery".to_owned(),
        online: None,
        capacity: capacity.parse().ok(),
        status: Some(status.to_owned()),
        scope: None,
    }
}

fn adapter(online: bool) -> PowerSupply {
    PowerSupply {
        name: "AC".to_owned(),
        kind: "Mains".to_owned(),
        online: Some(online),
        capacity: None,
        status: None,
        scope: None,
    }
}

#[test]
fn critical_release_stages() {
    let critical = release("bios-2", "critical", "2025-06-01");
    assert_eq!(decide_unstaged(&policy(), &critical), Decision::Stage);
}

#[test]
fn staged_release_applies_in_window() {
    let critical = release("bios-2", "critical", "2025-06-01");
    assert_eq!(
        decide_staged(&policy(), &critical, IN_WINDOW),
        Decision::Apply
    );
}

#[test]
fn staged_release_waits_for_window() {
    let critical = release("bios-2", "critical", "2025-06-01");
    let expected = Decision::WaitForWindow {
        opens_at: at("2025-06-10T02:00:00Z"),
        window: "nightly".to_owned(),
    };
    assert_eq!(decide_staged(&policy(), &critical, BEFORE_WINDOW), expected);
}

#[test]
fn medium_release_is_not_auto_staged() {
    let medium = release("nic-1", "medium", "2025-05-01");
    let expected = Decision::Hold(HoldReason::NotAutoStaged {
        severity: Severity::Medium,
    });
    assert_eq!(decide_unstaged(&policy(), &medium), expected);
}

#[test]
fn staged_medium_release_is_deferred() {
    let medium = release("nic-1", "medium", "2025-06-08");
    let expected = Decision::Hold(HoldReason::Deferred {
        until: at("2025-06-15T00:00:00Z"),
    });
    assert_eq!(decide_staged(&policy(), &medium, IN_WINDOW), expected);

    let later = "2025-06-15T02:30:00Z";
    assert_eq!(decide_staged(&policy(), &medium, later), Decision::Apply);
}

#[test]
fn deferral_holds_staging_too() {
    let mut policy = policy();
    policy.config.defer.critical = 3;
    let critical = release("bios-2", "critical", "2025-06-09");
    let expected = Decision::Hold(HoldReason::Deferred {
        until: at("2025-06-12T00:00:00Z"),
    });
    assert_eq!(decide_unstaged(&policy, &critical), expected);
}

#[test]
fn release_dated_in_future_is_deferred() {
    let critical = release("bios-2", "critical", "2025-06-11");
    let expected = Decision::Hold(HoldReason::Deferred {
        until: at("2025-06-11T00:00:00Z"),
    });
    assert_eq!(decide_unstaged(&policy(), &critical), expected);
}

#[test]
fn approval_required_until_approved() {
    let mut policy = policy();
    policy.config.require_approval = vec![Severity::Critical];
    let critical = release("bios-2", "critical", "2025-06-01");
    let needs = Decision::Hold(HoldReason::NeedsApproval);
    assert_eq!(decide_unstaged(&policy, &critical), needs);

    policy
        .state
        .approved
        .insert(entry(&SHA256.to_ascii_uppercase()));
    assert_eq!(decide_unstaged(&policy, &critical), Decision::Stage);
}

#[test]
fn approval_skips_auto_stage_and_deferral() {
    let mut policy = policy();
    policy.config.approved = vec![entry("nic-1")];
    let low = release("nic-1", "low", "2025-06-09");
    assert_eq!(decide_unstaged(&policy, &low), Decision::Stage);
    assert_eq!(decide_staged(&policy, &low, IN_WINDOW), Decision::Apply);
}

#[test]
fn block_wins_over_approval() {
    let mut policy = policy();
    policy.config.approved = vec![entry("bios-2")];
    policy.state.blocked.insert(entry(SHA256));
    let critical = release("bios-2", "critical", "2025-06-01");
    let expected = Decision::Hold(HoldReason::Blocked {
        by: SHA256.to_owned(),
    });
    assert_eq!(decide_unstaged(&policy, &critical), expected);
    assert_eq!(decide_staged(&policy, &critical, IN_WINDOW), expected);
}

#[test]
fn config_block_by_release_id() {
    let mut policy = policy();
    policy.config.blocked = vec![entry("bios-2")];
    let critical = release("bios-2", "critical", "2025-06-01");
    let expected = Decision::Hold(HoldReason::Blocked {
        by: "bios-2".to_owned(),
    });
    assert_eq!(decide_unstaged(&policy, &critical), expected);
}

#[test]
fn ring_not_reached_for_later_ring() {
    let mut policy = policy();
    policy.config.ring = Ring::Early;
    let mut canary_only = release("bios-2", "critical", "2025-06-01");
    canary_only.rollout.ring = Ring::Canary;
    let expected = Decision::Hold(HoldReason::RingNotReached {
        machine_ring: Ring::Early,
        release_ring: Ring::Canary,
    });
    assert_eq!(decide_unstaged(&policy, &canary_only), expected);

    policy.config.ring = Ring::Canary;
    assert_eq!(decide_unstaged(&policy, &canary_only), Decision::Stage);
}

#[test]
fn approval_does_not_skip_rollout() {
    let mut policy = policy();
    policy.config.approved = vec![entry("bios-2")];
    let mut nobody = release("bios-2", "critical", "2025-06-01");
    nobody.rollout.percentage = 0;
    let expected = Decision::Hold(HoldReason::NotInRollout { percentage: 0 });
    assert_eq!(decide_unstaged(&policy, &nobody), expected);
}

#[test]
fn missing_machine_id_limits_rollout() {
    let policy = Policy::default();
    let mut half = release("bios-2", "critical", "2025-06-01");
    half.rollout.percentage = 50;
    let expected = Decision::Hold(HoldReason::NotInRollout { percentage: 50 });
    assert_eq!(decide_unstaged(&policy, &half), expected);

    half.rollout.percentage = 100;
    assert_eq!(decide_unstaged(&policy, &half), Decision::Stage);
}

#[test]
fn inhibit_holds_apply_until_it_ends() {
    let mut policy = policy();
    policy.state.inhibits.push(Inhibit {
        reason: "quarterly close".to_owned(),
        until: at("2025-06-10T03:00:00Z"),
        created: at("2025-06-09T12:00:00Z"),
    });
    let critical = release("bios-2", "critical", "2025-06-01");
    let expected = Decision::Hold(HoldReason::Inhibited {
        until: at("2025-06-10T03:00:00Z"),
        reason: "quarterly close".to_owned(),
    });
    assert_eq!(decide_staged(&policy, &critical, IN_WINDOW), expected);
    assert_eq!(decide_unstaged(&policy, &critical), Decision::Stage);

    let after = "2025-06-10T03:00:00Z";
    assert_eq!(decide_staged(&policy, &critical, after), Decision::Apply);
}

#[test]
fn battery_below_minimum_holds_apply() {
    let policy = Policy {
        config: hwupd::policy::PolicyConfig {
            power: PowerPolicy {
                require_ac: false,
                min_battery_percent: 30,
            },
            ..Default::default()
        },
        ..policy()
    };
    let critical = release("bios-2", "critical", "2025-06-01");
    let windows = nightly();
    let power = PowerState {
        supplies: vec![adapter(false), battery("20", "Discharging")],
    };
    let env = environment(at(IN_WINDOW), &windows, &power);
    let expected = Decision::Hold(HoldReason::PowerConditions {
        detail: "battery at 20%, below the policy's minimum of 30%".to_owned(),
    });
    assert_eq!(decide(&policy, &critical, true, &env), expected);
}

#[test]
fn battery_power_holds_when_ac_required() {
    let critical = release("bios-2", "critical", "2025-06-01");
    let windows = nightly();
    let power = PowerState {
        supplies: vec![adapter(false), battery("90", "Discharging")],
    };
    let env = environment(at(IN_WINDOW), &windows, &power);
    let Decision::Hold(HoldReason::PowerConditions { detail }) =
        decide(&policy(), &critical, true, &env)
    else {
        panic!("expected a power hold");
    };
    assert!(detail.contains("AC power"), "{detail}");
}

#[test]
fn no_windows_holds_apply() {
    let critical = release("bios-2", "critical", "2025-06-01");
    let none = Windows::none();
    let power = PowerState::default();
    let env = environment(at(IN_WINDOW), &none, &power);
    let expected = Decision::Hold(HoldReason::NoWindows);
    assert_eq!(decide(&policy(), &critical, true, &env), expected);
    assert_eq!(decide(&policy(), &critical, false, &env), Decision::Stage);
}

#[test]
fn no_window_long_enough() {
    let critical = release("bios-2", "critical", "2025-06-01");
    let short = windows(&[("short", "*-*-* 02:00", "10min")]);
    let power = PowerState::default();
    let env = environment(at(IN_WINDOW), &short, &power);
    let expected = Decision::Hold(HoldReason::NoWindowFits {
        estimated: SignedDuration::from_mins(20),
    });
    assert_eq!(decide(&policy(), &critical, true, &env), expected);
}

#[test]
fn apply_now_skips_only_windows() {
    let critical = release("bios-2", "critical", "2025-06-01");
    let none = Windows::none();
    let power = PowerState::default();
    let env = Environment {
        apply_now: true,
        ..environment(at(BEFORE_WINDOW), &none, &power)
    };
    assert_eq!(decide(&policy(), &critical, true, &env), Decision::Apply);

    let mut blocked = policy();
    blocked.state.blocked.insert(entry("bios-2"));
    let decision = decide(&blocked, &critical, true, &env);
    assert!(
        matches!(decision, Decision::Hold(HoldReason::Blocked { .. })),
        "{decision:?}"
    );

    let on_battery = PowerState {
        supplies: vec![adapter(false), battery("80", "Discharging")],
    };
    let env = Environment {
        power: &on_battery,
        ..env
    };
    let decision = decide(&policy(), &critical, true, &env);
    assert!(
        matches!(decision, Decision::Hold(HoldReason::PowerConditions { .. })),
        "{decision:?}"
    );
}

#[test]
fn checks_run_in_documented_order() {
    // Blocked, outside the ring and the rollout, and needing approval: the block wins.
    let mut policy = policy();
    policy.config.ring = Ring::Broad;
    policy.config.require_approval = vec![Severity::Critical];
    policy.config.blocked = vec![entry("bios-2")];
    let mut release = release("bios-2", "critical", "2025-06-01");
    release.rollout.ring = Ring::Canary;
    release.rollout.percentage = 0;
    let reason = |policy: &Policy| decide_unstaged(policy, &release);
    assert!(matches!(
        reason(&policy),
        Decision::Hold(HoldReason::Blocked { .. })
    ));

    policy.config.blocked.clear();
    assert!(matches!(
        reason(&policy),
        Decision::Hold(HoldReason::RingNotReached { .. })
    ));

    release.rollout.ring = Ring::Broad;
    let reason = |policy: &Policy| decide_unstaged(policy, &release);
    assert!(matches!(
        reason(&policy),
        Decision::Hold(HoldReason::NotInRollout { .. })
    ));
}

#[test]
fn decision_json_names_decision_and_hold() {
    let deferred = Decision::Hold(HoldReason::Deferred {
        until: at("2025-06-15T00:00:00Z"),
    });
    let json = serde_json::to_value(&deferred).unwrap();
    let expected = serde_json::json!({
        "decision": "hold", "hold": "deferred", "until": "2025-06-15T00:00:00Z"
    });
    assert_eq!(json, expected);

    let wait = Decision::WaitForWindow {
        opens_at: at("2025-06-10T02:00:00Z"),
        window: "nightly".to_owned(),
    };
    let json = serde_json::to_value(&wait).unwrap();
    let expected = serde_json::json!({
        "decision": "wait-for-window", "opens_at": "2025-06-10T02:00:00Z", "window": "nightly"
    });
    assert_eq!(json, expected);
}

fn every_decision() -> Vec<Decision> {
    let until = at("2025-06-15T00:00:00Z");
    let reasons = [
        HoldReason::Deferred { until },
        HoldReason::NotInRollout { percentage: 5 },
        HoldReason::RingNotReached {
            machine_ring: Ring::Broad,
            release_ring: Ring::Canary,
        },
        HoldReason::Blocked {
            by: "bios-2".to_owned(),
        },
        HoldReason::NeedsApproval,
        HoldReason::NotAutoStaged {
            severity: Severity::Low,
        },
        HoldReason::Inhibited {
            until,
            reason: "audit".to_owned(),
        },
        HoldReason::PowerConditions {
            detail: "on battery".to_owned(),
        },
        HoldReason::NoWindows,
        HoldReason::NoWindowFits {
            estimated: SignedDuration::from_mins(90),
        },
    ];
    let mut decisions = vec![
        Decision::Stage,
        Decision::Apply,
        Decision::WaitForWindow {
            opens_at: until,
            window: "nightly".to_owned(),
        },
    ];
    decisions.extend(reasons.into_iter().map(Decision::Hold));
    decisions
}

#[test]
fn every_decision_round_trips_json() {
    for decision in every_decision() {
        let json = serde_json::to_string(&decision).unwrap();
        let back: Decision = serde_json::from_str(&json).unwrap();
        assert_eq!(back, decision, "{json}");
    }
}

#[test]
fn messages_carry_the_details() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let expected = [
        "ready to be staged",
        "ready to be applied now",
        "2025-06-15 02:00 CEST",
        "deferred by policy until 2025-06-15 02:00 CEST",
        "5% of machines",
        "canary ring",
        "blocked by the policy entry bios-2",
        "requires approval",
        "low releases are not staged automatically",
        "postponed until 2025-06-15 02:00 CEST: audit",
        "power conditions not met: on battery",
        "no maintenance window is configured",
        "estimated 1h 30min",
    ];
    for (decision, part) in every_decision().iter().zip(expected) {
        let message = decision.describe(&berlin);
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

#[test]
fn display_uses_utc() {
    let wait = Decision::WaitForWindow {
        opens_at: at("2025-06-10T02:00:00Z"),
        window: "nightly".to_owned(),
    };
    assert_eq!(
        wait.to_string(),
        "staged, waiting for maintenance window \"nightly\", which opens at 2025-06-10 02:00 UTC"
    );
}

#[test]
fn unknown_severity_never_stages() {
    let mut odd = release("bios-2", "critical", "2025-06-01");
    odd.severity = Severity::Unknown("urgent".to_owned());
    let decision = decide_unstaged(&policy(), &odd);
    assert!(matches!(
        decision,
        Decision::Hold(HoldReason::NotAutoStaged { .. })
    ));
}

#[test]
fn expired_inhibit_is_ignored() {
    let mut policy = policy();
    policy.state.inhibits.push(Inhibit {
        reason: "old".to_owned(),
        until: at("2025-06-01T00:00:00Z"),
        created: Timestamp::UNIX_EPOCH,
    });
    let critical = release("bios-2", "critical", "2025-06-01");
    assert_eq!(
        decide_staged(&policy, &critical, IN_WINDOW),
        Decision::Apply
    );
}
