//! Test definitions and their ids: the Rust form of Tempest's decorators.
//!
//! A test is a method name, a body, and the attributes Tempest's decorators would give it:
//! `idempotent_id` (a validated UUID, giving the attr `id-<uuid>`), `attr(type=...)` (`smoke` and
//! others), `services(...)` (validated names, each an attr, skipped at call time when the service
//! is unavailable), `skip_because(bug=...)` and `related_bug(bug, status_code)`. The id is
//! testtools' `WithAttributes.id()`: `module.Class.method[attr,attr]`, attrs sorted, no brackets
//! without attrs.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::context::TestCx;
use crate::failure::Failure;
pub use crate::services::KNOWN_SERVICES;

/// A test body: it gets the class (its state from the class stages) and the test's context.
/// Cleanups the body registers may borrow the class for as long as the test runs.
pub type TestFn<C> = for<'c> fn(&'c C, &mut TestCx<'c>) -> Result<(), Failure>;

/// Which tracker a bug number belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BugTracker {
    /// `https://launchpad.net/bugs/N`.
    Launchpad,
    /// `https://storyboard.openstack.org/#!/story/N`.
    Storyboard,
}

/// A bug reference, as `skip_because` and `related_bug` take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bug {
    number: String,
    tracker: BugTracker,
}

impl Bug {
    /// The bug's address.
    pub fn url(&self) -> String {
        match self.tracker {
            BugTracker::Launchpad => format!("https://launchpad.net/bugs/{}", self.number),
            BugTracker::Storyboard => {
                format!("https://storyboard.openstack.org/#!/story/{}", self.number)
            }
        }
    }

    /// The tracker's name as Tempest spells it (`launchpad`, `storyboard`).
    pub fn tracker_name(&self) -> &'static str {
        match self.tracker {
            BugTracker::Launchpad => "launchpad",
            BugTracker::Storyboard => "storyboard",
        }
    }
}

/// A test definition that Tempest would have refused at import time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// `idempotent_id` got something that is not a UUID.
    #[error("{test}: idempotent id {value:?} is not a valid UUID")]
    InvalidIdempotentId {
        /// The test method.
        test: String,
        /// The rejected value.
        value: String,
    },
    /// A test has two idempotent ids.
    #[error("{test}: more than one idempotent id")]
    DuplicateIdempotentId {
        /// The test method.
        test: String,
    },
    /// `services` got a name outside [`KNOWN_SERVICES`] (Tempest's `InvalidServiceTag`).
    #[error("{test}: {service} is not a valid service")]
    InvalidServiceTag {
        /// The test method.
        test: String,
        /// The rejected name.
        service: String,
    },
    /// A bug number that is not all digits.
    #[error("{test}: bug {bug:?} must be a number")]
    InvalidBug {
        /// The test method.
        test: String,
        /// The rejected bug.
        bug: String,
    },
    /// A method name that is not a Python-style identifier starting with `test`.
    #[error("{test}: a test method name must start with \"test\" and hold only [A-Za-z0-9_]")]
    InvalidMethodName {
        /// The rejected name.
        test: String,
    },
    /// A class name or module path that cannot form a test id.
    #[error("{0:?} is not a valid module path or class name")]
    InvalidClassName(String),
    /// Two tests of one class with the same method name.
    #[error("{class}: the test {test} is defined twice")]
    DuplicateTest {
        /// The class (`module.Class`).
        class: String,
        /// The method.
        test: String,
    },
    /// Two classes with the same `module.Class`.
    #[error("the class {0} is defined twice")]
    DuplicateClass(String),
}

/// Whether `value` is a UUID as Python's `uuid.UUID(str)` reads one: optional `urn:uuid:`
/// prefix, optional braces, hyphens anywhere, exactly 32 hex digits.
pub fn is_valid_uuid(value: &str) -> bool {
    let s = value.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One test of a class `C`: its method name, body and decorators.
pub struct TestDef<C> {
    pub(crate) method: Cow<'static, str>,
    pub(crate) body: TestFn<C>,
    pub(crate) attrs: BTreeSet<String>,
    pub(crate) services: Vec<&'static str>,
    pub(crate) skip_because: Option<Bug>,
    pub(crate) related_bug: Option<(Bug, Option<u16>)>,
    pub(crate) idempotent_id: Option<String>,
    pub(crate) errors: Vec<SpecError>,
}

impl<C> std::fmt::Debug for TestDef<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDef")
            .field("method", &self.method)
            .field("attrs", &self.attrs)
            .finish_non_exhaustive()
    }
}

impl<C> TestDef<C> {
    /// The test `method` running `body`. Mistakes in the decorators below are collected and
    /// reported when the class is added to a [`crate::Suite`], as Python reports them on import.
    pub fn new(method: impl Into<Cow<'static, str>>, body: TestFn<C>) -> Self {
        let method = method.into();
        let mut errors = Vec::new();
        let ok = method.starts_with("test")
            && method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            errors.push(SpecError::InvalidMethodName {
                test: method.to_string(),
            });
        }
        TestDef {
            method,
            body,
            attrs: BTreeSet::new(),
            services: Vec::new(),
            skip_because: None,
            related_bug: None,
            idempotent_id: None,
            errors,
        }
    }

    /// `@decorators.idempotent_id(id)`: adds the attr `id-<id>` after checking `id` is a UUID.
    pub fn idempotent_id(mut self, id: &str) -> Self {
        if self.idempotent_id.is_some() {
            self.errors.push(SpecError::DuplicateIdempotentId {
                test: self.method.to_string(),
            });
        } else if !is_valid_uuid(id) {
            self.errors.push(SpecError::InvalidIdempotentId {
                test: self.method.to_string(),
                value: id.to_owned(),
            });
        } else {
            self.idempotent_id = Some(id.to_owned());
            self.attrs.insert(format!("id-{id}"));
        }
        self
    }

    /// `@decorators.attr(type=name)`.
    pub fn attr(mut self, name: &str) -> Self {
        self.attrs.insert(name.to_owned());
        self
    }

    /// `@decorators.attr(type=name, condition=condition)`: the attr only when `condition` holds.
    pub fn attr_if(self, condition: bool, name: &str) -> Self {
        if condition { self.attr(name) } else { self }
    }

    /// `@decorators.attr(type='smoke')`.
    pub fn smoke(self) -> Self {
        self.attr("smoke")
    }

    /// `@utils.services(...)`: each name becomes an attr; the test skips at call time when one of
    /// the services is configured unavailable.
    pub fn services(mut self, names: &[&'static str]) -> Self {
        for &name in names {
            if KNOWN_SERVICES.iter().any(|(s, _)| *s == name) {
                self.attrs.insert(name.to_owned());
                self.services.push(name);
            } else {
                self.errors.push(SpecError::InvalidServiceTag {
                    test: self.method.to_string(),
                    service: name.to_owned(),
                });
            }
        }
        self
    }

    fn bug(&mut self, bug: &str, tracker: BugTracker) -> Option<Bug> {
        if !bug.is_empty() && bug.bytes().all(|b| b.is_ascii_digit()) {
            Some(Bug {
                number: bug.to_owned(),
                tracker,
            })
        } else {
            self.errors.push(SpecError::InvalidBug {
                test: self.method.to_string(),
                bug: bug.to_owned(),
            });
            None
        }
    }

    /// `@decorators.skip_because(bug=bug, bug_type=tracker)`: the test skips at call time with
    /// `Skipped until bug: <url> is resolved.`
    pub fn skip_because(mut self, bug: &str, tracker: BugTracker) -> Self {
        self.skip_because = self.bug(bug, tracker);
        self
    }

    /// `@decorators.skip_because(bug=bug, condition=condition)`.
    pub fn skip_because_if(self, condition: bool, bug: &str, tracker: BugTracker) -> Self {
        let mut this = self.skip_because(bug, tracker);
        if !condition {
            this.skip_because = None;
        }
        this
    }

    /// `@decorators.related_bug(bug, status_code)`: when the body fails (with that HTTP status,
    /// if one is given), the test's log gets Tempest's hint naming the bug.
    pub fn related_bug(mut self, bug: &str, status_code: Option<u16>) -> Self {
        self.related_bug = self
            .bug(bug, BugTracker::Launchpad)
            .map(|b| (b, status_code));
        self
    }

    /// The method name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The attrs, sorted.
    pub fn attrs(&self) -> impl Iterator<Item = &str> {
        self.attrs.iter().map(String::as_str)
    }

    /// The full test id in class `class_id` (`module.Class`).
    pub fn id_in(&self, class_id: &str) -> String {
        test_id(
            class_id,
            &self.method,
            self.attrs.iter().map(String::as_str),
        )
    }
}

/// testtools' `WithAttributes.id()`: `class_id.method`, then `[a,b]` with the attrs sorted when
/// there are any.
pub fn test_id<'a>(
    class_id: &str,
    method: &str,
    attrs: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut attrs: Vec<&str> = attrs.into_iter().collect();
    attrs.sort_unstable();
    attrs.dedup();
    let mut id = format!("{class_id}.{method}");
    if !attrs.is_empty() {
        id.push('[');
        id.push_str(&attrs.join(","));
        id.push(']');
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    struct C;
    fn body(_: &C, _: &mut TestCx<'_>) -> Result<(), Failure> {
        Ok(())
    }

    #[test]
    fn ids_sort_attrs_as_testtools_does() {
        // The example from Valet's tree (reference 1.8): `id-` sorts before `smoke`.
        let t = TestDef::new("test_update_group", body as TestFn<C>)
            .smoke()
            .idempotent_id("460d86e4-6472-11e6-b6c6-080027824017");
        assert!(t.errors.is_empty());
        assert_eq!(
            t.id_in("valet.tests.tempest.api.test_groups.ValetGroupsTest"),
            "valet.tests.tempest.api.test_groups.ValetGroupsTest.test_update_group\
             [id-460d86e4-6472-11e6-b6c6-080027824017,smoke]"
        );
        let plain = TestDef::new("test_affinity", body as TestFn<C>);
        assert_eq!(
            plain.id_in("m.TestAffinity"),
            "m.TestAffinity.test_affinity"
        );
        // Observed from Tempest 47.0.0: services become attrs, sorted with the id.
        let s = TestDef::new("test_services", body as TestFn<C>)
            .idempotent_id("2ab0337e-6472-11e6-b6c6-080027824017")
            .services(&["network", "compute"]);
        assert_eq!(
            s.id_in("demo.test_attrs.Attrs"),
            "demo.test_attrs.Attrs.test_services\
             [compute,id-2ab0337e-6472-11e6-b6c6-080027824017,network]"
        );
        let m = TestDef::new("test_multi", body as TestFn<C>)
            .attr("slow")
            .attr("gate")
            .attr("slow")
            .attr_if(false, "never");
        assert_eq!(
            m.id_in("demo.test_attrs.Attrs"),
            "demo.test_attrs.Attrs.test_multi[gate,slow]"
        );
    }

    #[test]
    fn uuids_are_checked_as_python_checks_them() {
        assert!(is_valid_uuid("460d86e4-6472-11e6-b6c6-080027824017"));
        assert!(is_valid_uuid("{460D86E4647211E6B6C6080027824017}"));
        assert!(is_valid_uuid(
            "urn:uuid:460d86e4-6472-11e6-b6c6-080027824017"
        ));
        assert!(!is_valid_uuid("460d86e4-6472-11e6-b6c6-08002782401"));
        assert!(!is_valid_uuid("460d86e4-6472-11e6-b6c6-08002782401g"));
        assert!(!is_valid_uuid(""));
    }

    #[test]
    fn decorator_mistakes_are_collected() {
        let t = TestDef::new("test_x", body as TestFn<C>)
            .idempotent_id("nope")
            .services(&["compute", "teleport"])
            .skip_because("12a", BugTracker::Launchpad);
        assert_eq!(t.errors.len(), 3, "{:?}", t.errors);
        assert!(matches!(t.errors[0], SpecError::InvalidIdempotentId { .. }));
        assert!(
            matches!(&t.errors[1], SpecError::InvalidServiceTag { service, .. } if service == "teleport")
        );
        assert!(matches!(t.errors[2], SpecError::InvalidBug { .. }));
        let twice = TestDef::new("test_x", body as TestFn<C>)
            .idempotent_id("460d86e4-6472-11e6-b6c6-080027824017")
            .idempotent_id("2ab0337e-6472-11e6-b6c6-080027824017");
        assert!(matches!(
            twice.errors[0],
            SpecError::DuplicateIdempotentId { .. }
        ));
        let bad = TestDef::new("check_x", body as TestFn<C>);
        assert!(matches!(bad.errors[0], SpecError::InvalidMethodName { .. }));
    }

    #[test]
    fn bug_urls() {
        let t =
            TestDef::new("test_x", body as TestFn<C>).skip_because("12345", BugTracker::Launchpad);
        assert_eq!(
            t.skip_because.unwrap().url(),
            "https://launchpad.net/bugs/12345"
        );
        let t = TestDef::new("test_x", body as TestFn<C>).skip_because("7", BugTracker::Storyboard);
        assert_eq!(
            t.skip_because.unwrap().url(),
            "https://storyboard.openstack.org/#!/story/7"
        );
        let t = TestDef::new("test_x", body as TestFn<C>).skip_because_if(
            false,
            "7",
            BugTracker::Storyboard,
        );
        assert!(t.skip_because.is_none());
    }
}
