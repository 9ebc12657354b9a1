//! lantern-policies: the contract between a school node and the district aggregator — the policy
//! files and their validation, the differential-privacy release mechanics (OpenDP), and the sealed
//! release envelope.

pub mod budget;
pub mod check;
pub mod config_file;
pub mod dp;
pub mod envelope;
pub mod keys;
pub mod policy_file;
pub mod release_policy;
pub mod retention;
pub mod rules;
pub mod server_headers;

pub use policy_file::{Diagnostic, PolicyHash, PolicySource};
