//! End-to-end tests.
mod crash;
