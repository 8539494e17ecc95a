//! The parser's integration tests, one binary: each module checks one promise of the crate
//! (against python-subunit, testtools or the `subunit` crate where a module says so).

mod corpus_v1;
mod fold_vs_testtools;
mod proptest_codec;
mod python_events;
mod python_tools_read_ours;
mod python_writer_bytes;
mod sample_descriptions;
mod subunit_crate;
mod v1_props;
