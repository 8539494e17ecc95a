//! Queries over stored runs.
