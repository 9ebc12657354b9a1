//! Integration tests of the node over real HTTP: the server runs on a random loopback port and is
//! talked to with an HTTP client, as a browser or an API client would.

mod support;

mod auth_flows;
mod rbac_matrix;
mod xapi;
