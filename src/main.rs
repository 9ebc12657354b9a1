//! The `lantern` binary: command-line parsing and dispatch only.
fn main() {}
