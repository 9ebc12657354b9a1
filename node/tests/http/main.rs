//! Integration tests of the node over real HTTP: the server runs on a random loopback port and is
//! talked to with an HTTP client, as a browser or an API client would.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test (helpers are not #[test] fns)

mod support;

mod alert_pages;
mod alerts;
mod alerts_fixture;
mod alerts_teaching;
mod auth_flows;
mod imports;
mod indicators_api;
mod live_stream;
mod rbac_matrix;
mod xapi;
