//! The samples crate's integration tests, one binary: the committed samples and their
//! descriptions, and the pinned python reference environment.

mod committed;
mod module_cycles;
mod python_reference;
