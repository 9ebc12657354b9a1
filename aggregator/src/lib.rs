//! lantern-aggregator: the district aggregator.
