//! What the Valet API classes share: the macros that make a class of a `base: Base` field and
//! a `defs()` list, and the assertions on response bodies.

use serde_json::Value;
use tempest_framework::failure::Failure;

/// A Valet API class's `defs()` list: each method (a test of the same name) run through
/// [`Base::logged`](base::Base::logged), with its idempotent id and any further markers
/// (`test_x => "id".smoke()`).
macro_rules! logged_defs {
    ($($method:ident => $id:literal $(.$marker:ident())*),* $(,)?) => {
        vec![$(
            tempest_framework::spec::TestDef::new(stringify!($method), |c: &Self, t| {
                c.base.logged(t, |t| c.$method(t))
            })
            .idempotent_id($id)
            $(.$marker())*
        ),*]
    };
}
pub(crate) use logged_defs;

/// Implements `TestClass` for a Valet API class with a `base: Base` field and a `defs()`.
macro_rules! valet_class {
    ($ty:ident, $module:expr, $name:expr) => {
        impl $ty {
            /// The class, sharing `env` with the other classes of the run.
            pub fn new(env: std::sync::Arc<$crate::credentials::Environment>) -> $ty {
                $ty {
                    base: $crate::valet_tests::base::Base::new(env),
                }
            }
        }

        impl tempest_framework::TestClass for $ty {
            fn module(&self) -> &str {
                $module
            }
            fn name(&self) -> &str {
                $name
            }
            fn credentials(&self) -> Vec<tempest_framework::CredentialType> {
                vec![tempest_framework::CredentialType::Primary]
            }
            fn credential_provider(
                &self,
            ) -> std::sync::Arc<dyn tempest_framework::CredentialProvider> {
                self.base.credential_provider()
            }
            fn skip_checks(
                &self,
                cx: &mut tempest_framework::SkipCx<'_, '_>,
            ) -> Result<tempest_framework::SkipChecked, tempest_framework::Failure> {
                self.base.skip_checks(cx, $name)
            }
            fn setup_credentials(
                &self,
                cx: &mut tempest_framework::ClassCx<'_>,
            ) -> Result<tempest_framework::CredentialsSetUp, tempest_framework::Failure> {
                self.base.setup_credentials(cx)
            }
            fn setup_clients(
                &self,
                cx: &mut tempest_framework::ClassCx<'_>,
            ) -> Result<tempest_framework::ClientsSetUp, tempest_framework::Failure> {
                self.base.setup_clients(cx)
            }
            fn clear_credentials(
                &self,
                cx: &mut tempest_framework::ClassCx<'_>,
            ) -> Result<tempest_framework::CredentialsCleared, tempest_framework::Failure> {
                self.base.clear_credentials(cx)
            }
            fn set_up(
                &self,
                _t: &mut tempest_framework::TestCx<'_>,
            ) -> Result<(), tempest_framework::Failure> {
                self.base.start_test();
                Ok(())
            }
            fn tests(&self) -> Vec<tempest_framework::spec::TestDef<Self>> {
                $ty::defs()
            }
        }
    };
}
pub(crate) use valet_class;

/// `body[key]` as a string, else an `AssertionError` showing the body.
pub(crate) fn str_field<'v>(body: &'v Value, key: &str) -> Result<&'v str, Failure> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::assertion(format!("{key:?} not in {body} (or not a string)")))
}

/// `assertIn(key, body)` for every key.
pub(crate) fn has_keys(body: &Value, keys: &[&str]) -> Result<(), Failure> {
    for key in keys {
        if body.get(key).is_none() {
            return Err(Failure::assertion(format!("{key:?} not in {body}")));
        }
    }
    Ok(())
}
