//! lantern-node: the school node.
pub mod xapi;
