//! End-to-end tests of the whole system: school nodes (and the aggregator) as real servers on
//! loopback ports, driven over HTTP. One test binary for the root package.

mod cli;
mod crash;
mod demo;
mod release_flow;
