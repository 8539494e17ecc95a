//! The schema revision this crate makes and reads: a leaf, so that the errors and the schema
//! can both name it.

/// The alembic revision of subunit2sql 1.10.0's newest migration ("Add even more indexes").
pub const HEAD_REVISION: &str = "10a2b6d4b06e";

/// The oldest revision `subunit2sql-db-manage upgrade head` migrates from: the schema after
/// subunit2sql's integer-id rebuild (2015), whose two later migrations only add indexes and
/// unique constraints. Older schemas (uuid keys) are left to subunit2sql's own tool.
pub const OLDEST_MIGRATED: &str = "2822a408bdd0";
