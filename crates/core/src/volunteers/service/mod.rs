//! Use-cases of the volunteer module. Staff act under `ManageVolunteers` scope; volunteers
//! under `ServeShifts` scope and only ever on their own bookings; the public signs up to open
//! call-ups and verifies certificates.
//!
//! By feature: `callups` (call-ups, sign-ups, approvals, commitments, set-password links),
//! `profiles`, `shifts` (posts, shifts, bookings, attendance) and `record` (certificates, hours).

mod callups;
mod profiles;
mod record;
mod shifts;

pub use callups::*;
pub use profiles::*;
pub use record::*;
pub use shifts::*;

use time::Duration;

/// How long a set-password link works.
pub const LINK_LIFETIME: Duration = Duration::days(7);
/// How far ahead volunteers see open shifts.
pub const SHIFT_HORIZON: Duration = Duration::days(14);
