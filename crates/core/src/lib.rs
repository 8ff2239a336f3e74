//! wushe-core: the domain of wushe (五社联动) — types, rules and use-cases.
//!
//! Nothing here knows about HTTP or SQL. Use-cases are async functions over
//! `&dyn Store` and an `&Actor`; the edges (web, CLI, jobs) translate to and from them.

pub mod actor;
pub mod audit;
pub mod clock;
pub mod crypto;
pub mod dispatch;
pub mod error;
pub mod export;
pub mod ids;
pub mod jobs;
pub mod needs;
pub mod net;
pub mod notify;
pub mod orgs;
pub mod people;
pub mod regions;
pub mod reveal;
pub mod sheet;
pub mod store;
pub mod text;
pub mod tokens;
pub mod users;
pub mod volunteers;

pub use actor::{Actor, Grant, Permission, Role};
pub use clock::{Clock, SystemClock, TestClock};
pub use error::{Error, FieldError, FieldErrors, Result};
pub use store::Store;

#[cfg(test)]
mod parse_tests;
