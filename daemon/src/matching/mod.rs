//! Matching: which catalog releases apply to which device of this machine, and why the
//! newer ones that do not apply are held back.
//!
//! A [`Matcher`] indexes a catalog by GUID once, so matching a device costs a lookup per
//! GUID of the device instead of a pass over every release. [`update_entries`] turns the
//! results into the sorted list that `hwupctl updates` prints, and [`read_for_machine`]
//! reads a large catalog while keeping only the releases for this machine.

mod current;
mod device_match;
mod entry;
mod index;
mod machine;
mod reason;
mod rules;
mod stream;

pub use device_match::{match_inventory, DeviceMatch, HeldBack, MatchStatus, Matcher};
pub use entry::{sort_entries, update_entries, UpdateEntry, UpdateList};
pub use index::ReleaseIndex;
pub use machine::MachineIds;
pub use reason::HoldReason;
pub(crate) use stream::verify_for_machine_prehashed;
pub use stream::{read_for_machine, verify_for_machine, FilteredCatalog, VerifiedForMachine};

#[cfg(test)]
mod tests;
