//! `subunit-sql`: questions about stored runs.

fn main() {}
