//! lantern-node: the school node. Ingests rosters, live xAPI events and attendance; keeps every
//! piece of personal data on site; computes indicators and alerts; serves dashboards; and releases
//! only differentially private, signed, encrypted aggregates.
//!
//! Layers, calls going one way: `http` (routes, extractors, views) → domain (`auth`, `audit`, ...)
//! → `store` (all SQL).

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod background;
pub mod clock;
pub mod commands;
pub mod config;
pub mod events;
pub mod http;
pub mod import;
pub mod imports;
pub mod indicators;
pub mod ingest;
pub mod interventions;
pub mod live;
pub mod pipeline;
pub mod policies;
pub mod release;
pub mod sources;
pub mod store;
pub mod synth;
pub mod xapi;
