//! lantern-node: the school node.
