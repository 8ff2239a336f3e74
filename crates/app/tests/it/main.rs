//! The one integration-test binary of wushe-app: behaviour tests through real HTTP against
//! `TestApp::spawn()` (SQLite by default, PostgreSQL when WUSHE_TEST_POSTGRES_URL is set),
//! command-line tests against the built binary, and browser tests in headless Chromium.

mod accounts;
mod audit;
mod browser;
mod cli;
mod crash;
mod dispatch;
mod excel;
mod harness;
mod jobs;
mod keys;
mod login;
mod matrix;
mod needs;
mod needs_work;
mod notify;
mod orgs;
mod passwords;
mod people;
mod places;
mod serverlog;
mod shell;
mod sms_codes;
mod tokens;
mod totp;
mod track;
mod users;
mod volunteers;
