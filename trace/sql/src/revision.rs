//! The schema revision this crate makes and reads: a leaf, so that the errors and the schema
//! can both name it.

/// The alembic revision of subunit2sql 1.10.0's newest migration ("Add even more indexes").
pub const HEAD_REVISION: &str = "10a2b6d4b06e";
