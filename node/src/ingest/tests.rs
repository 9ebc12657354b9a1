//! Tests of the ingest path against a real store.
