//! The MIME types subunit streams carry, spelt exactly as the tools that write them spell them.
//!
//! Consumers must parse MIME types leniently (real streams hold `text/plain;charset=utf8`,
//! `text/plain; charset="utf8"` and `text/x-traceback;charset=utf8,language=python` alike);
//! writers use these spellings so their streams equal the Python tools' byte for byte.

/// A testtools text detail (`reason`, `stdout`, `pythonlogging:''`), as `text_content` makes it.
pub const TESTTOOLS_TEXT: &str = "text/plain; charset=\"utf8\"";

/// A testtools `traceback` detail.
pub const TESTTOOLS_TRACEBACK: &str = "text/x-traceback; charset=\"utf8\"; language=\"python\"";

/// The `reason` of a skipped `setUpClass` (unittest's error holder, through testtools).
pub const UNITTEST_CLASS_REASON: &str = "text/plain; charset=utf8";

/// The bracketed details of a v1 failure or error, as `subunit-1to2` writes them.
pub const V1_TRACEBACK: &str = "text/x-traceback; charset=\"utf8\"";

/// Plain text with no parameters (a v1 skip reason or success message, through `subunit-1to2`).
pub const TEXT_PLAIN: &str = "text/plain";

/// Bytes of no known type: the default of a file chunk without a MIME type, and the type of
/// python-subunit's "Packet data" attachment.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The text python-subunit writes itself, such as its "Parser Error" attachment.
pub const SUBUNIT_TEXT: &str = "text/plain;charset=utf8";
