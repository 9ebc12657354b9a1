//! Route handlers, grouped by what they serve. Handlers are thin: parse, call the domain, shape
//! the response.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod health;
pub mod imports;
pub mod indicators;
pub mod live_pages;
pub mod pages;
pub mod privacy;
pub mod xapi;
