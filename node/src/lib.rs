//! lantern-node: the school node.

pub mod import;

/// Storage: the SQL layer. Until the node foundation lands, only the roster module lives here;
/// `store.rs` then declares `pub mod roster;` and this inline module goes away.
pub mod store {
    pub mod roster;
}
