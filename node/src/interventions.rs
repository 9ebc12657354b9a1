//! Interventions (placeholder while building).
