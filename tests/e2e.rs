//! End-to-end tests.

mod release_flow;
