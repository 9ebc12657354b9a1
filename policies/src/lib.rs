//! lantern-policies: policy schema, DP release mechanics and the sealed release envelope.
