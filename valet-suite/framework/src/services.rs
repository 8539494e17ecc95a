//! The service names Tempest's `services(...)` decorator accepts, and the
//! `[service_available]` option each depends on.
//!
//! Both [`crate::spec`] (which validates the names) and [`crate::lifecycle`] (which skips a
//! test whose service is unavailable) read this table; neither imports the other for it.

use crate::config::Key;
use crate::config::builtin::service_available;

/// The service names `tempest.common.utils.services` accepts, with the `[service_available]`
/// option each depends on (`None`: always available, as Tempest treats `identity`).
pub const KNOWN_SERVICES: [(&str, Option<Key<bool>>); 7] = [
    ("compute", Some(service_available::NOVA)),
    ("image", Some(service_available::GLANCE)),
    ("volume", Some(service_available::CINDER)),
    ("network", Some(service_available::NEUTRON)),
    ("identity", None),
    ("object_storage", Some(service_available::SWIFT)),
    ("dashboard", Some(service_available::HORIZON)),
];
