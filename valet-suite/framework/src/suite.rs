//! A suite: the test classes, in the order unittest's loader would find them.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::lifecycle::{ErasedClass, Holder, TestClass, TestInfo};
use crate::spec::SpecError;

/// The test classes of a run, sorted by `module.Class`, each with its tests sorted by method
/// name (unittest's loader sorts both).
#[derive(Clone, Default)]
pub struct Suite {
    pub(crate) classes: Vec<Arc<dyn ErasedClass>>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.classes.iter().map(|c| c.class_id()))
            .finish()
    }
}

fn valid_module(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(valid_ident)
}

fn valid_ident(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl Suite {
    /// An empty suite.
    pub fn new() -> Suite {
        Suite::default()
    }

    /// Adds a class. Its test definitions are checked as Python checks decorators on import: a
    /// bad idempotent id, an unknown service, a bad bug number, a duplicate method or class is an
    /// error and the class is not added.
    pub fn add<C: TestClass>(&mut self, class: C) -> Result<&mut Self, SpecError> {
        if !valid_module(class.module()) {
            return Err(SpecError::InvalidClassName(class.module().to_owned()));
        }
        if !valid_ident(class.name()) {
            return Err(SpecError::InvalidClassName(class.name().to_owned()));
        }
        let class_id = format!("{}.{}", class.module(), class.name());
        if self.classes.iter().any(|c| c.class_id() == class_id) {
            return Err(SpecError::DuplicateClass(class_id));
        }
        let mut defs = class.tests();
        let mut seen = BTreeSet::new();
        for d in &defs {
            if let Some(e) = d.errors.first() {
                return Err(e.clone());
            }
            if !seen.insert(d.method.clone()) {
                return Err(SpecError::DuplicateTest {
                    class: class_id,
                    test: d.method.to_string(),
                });
            }
        }
        defs.sort_by(|a, b| a.method.cmp(&b.method));
        let infos = defs
            .iter()
            .map(|d| TestInfo {
                id: d.id_in(&class_id),
                method: d.method.to_string(),
                attrs: d.attrs().map(str::to_owned).collect(),
            })
            .collect();
        let holder = Holder {
            class,
            class_id,
            defs,
            infos,
        };
        let at = self
            .classes
            .partition_point(|c| c.class_id() < holder.class_id.as_str());
        self.classes.insert(at, Arc::new(holder));
        Ok(self)
    }

    /// How many classes.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// Every test id, in run order.
    pub fn test_ids(&self) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .flat_map(|c| c.tests().iter().map(|t| t.id.as_str()))
    }

    /// The classes' `module.Class` ids, in run order.
    pub fn class_ids(&self) -> impl Iterator<Item = &str> {
        self.classes.iter().map(|c| c.class_id())
    }

    /// The tests of the class at `index`.
    pub fn tests_of(&self, index: usize) -> &[TestInfo] {
        self.classes.get(index).map_or(&[], |c| c.tests())
    }
}
