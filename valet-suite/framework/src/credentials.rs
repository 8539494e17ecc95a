//! Where a class's credentials come from: the [`CredentialProvider`] the base
//! `setup_credentials` calls, as Tempest's base class asks its credentials provider
//! (`credentials_factory.get_credentials_provider`).
//!
//! The framework knows what a class asks for ([`CredentialType`]) and what it gets
//! ([`Credentials`]); a suite says how they are had (made in Keystone, taken from an accounts
//! file, ...) by implementing the trait, and the class names its provider
//! (`TestClass::credential_provider`).
//! Without one, [`PlaceholderProvider`] names credentials after the class and reaches no
//! service. What a provider hands out it gets back in the base `clear_credentials`
//! ([`HeldCredentials::release`]).

use std::fmt;

use crate::config::Config;
use crate::failure::Failure;

/// A set of credentials a class asks for (Tempest's `credentials = [...]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialType {
    /// `'primary'`.
    Primary,
    /// `'admin'`: needs admin credentials in the configuration, else the class skips.
    Admin,
    /// `'alt'`: a second user, else the class skips.
    Alt,
    /// `[label, *roles]`: a user with these roles.
    Roles {
        /// The label (`os_<label>`).
        label: String,
        /// The roles.
        roles: Vec<String>,
    },
}

impl CredentialType {
    /// The label Tempest uses (`primary`, `admin`, `alt`, or the given one).
    pub fn label(&self) -> &str {
        match self {
            CredentialType::Primary => "primary",
            CredentialType::Admin => "admin",
            CredentialType::Alt => "alt",
            CredentialType::Roles { label, .. } => label,
        }
    }
}

/// Credentials a provider gave for one requested type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The requested type's label.
    pub label: String,
    /// The user name.
    pub username: String,
    /// The password (empty for placeholders).
    pub password: String,
    /// The domain holding the user (empty for placeholders).
    pub user_domain_name: String,
    /// The project name.
    pub project_name: String,
    /// The domain holding the project (empty for placeholders).
    pub project_domain_name: String,
    /// The roles granted.
    pub roles: Vec<String>,
}

/// What the base `setup_credentials` asks a provider for: one requested type of one class run.
pub struct CredentialRequest<'a> {
    /// The class name alone (`ValetGroupsTest`).
    pub class_name: &'a str,
    /// The requested type.
    pub kind: &'a CredentialType,
    /// The roles the type asks for (`admin` for [`CredentialType::Admin`], the listed ones for
    /// [`CredentialType::Roles`], none otherwise).
    pub roles: &'a [String],
    /// The configuration.
    pub config: &'a Config,
    /// A number unique to this class run.
    pub run: u64,
    /// The run's lifecycle log.
    pub log: &'a (dyn Fn(&str) + Sync),
}

impl fmt::Debug for CredentialRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRequest")
            .field("class_name", &self.class_name)
            .field("kind", &self.kind)
            .field("roles", &self.roles)
            .field("run", &self.run)
            .finish_non_exhaustive()
    }
}

/// Gives test classes their credentials (Tempest's credentials providers). Called by the base
/// `setup_credentials`, once per type the class asks for; a failure fails that stage.
pub trait CredentialProvider: Send + Sync {
    /// Credentials for `request`, held until the base `clear_credentials` releases them.
    fn get(&self, request: &CredentialRequest<'_>) -> Result<Box<dyn HeldCredentials>, Failure>;
}

/// Credentials a class holds until its base `clear_credentials`.
pub trait HeldCredentials: Send + fmt::Debug {
    /// The credentials.
    fn credentials(&self) -> &Credentials;
    /// Gives them back (deletes what was made for the class, frees an account, ...).
    fn release(self: Box<Self>) -> Result<(), Failure>;
}

/// Credentials with nothing to give back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmanaged(pub Credentials);

impl HeldCredentials for Unmanaged {
    fn credentials(&self) -> &Credentials {
        &self.0
    }

    fn release(self: Box<Self>) -> Result<(), Failure> {
        Ok(())
    }
}

/// The provider of classes that name none: placeholders named after the class, as Tempest's
/// dynamic provider names its users (`tempest-<Class>-<label>-<run>` in the project
/// `tempest-<Class>-<run>`; no password, no domains), reaching no service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaceholderProvider;

impl CredentialProvider for PlaceholderProvider {
    fn get(&self, r: &CredentialRequest<'_>) -> Result<Box<dyn HeldCredentials>, Failure> {
        Ok(Box::new(Unmanaged(Credentials {
            label: r.kind.label().to_owned(),
            username: format!("tempest-{}-{}-{}", r.class_name, r.kind.label(), r.run),
            password: String::new(),
            user_domain_name: String::new(),
            project_name: format!("tempest-{}-{}", r.class_name, r.run),
            project_domain_name: String::new(),
            roles: r.roles.to_vec(),
        })))
    }
}
