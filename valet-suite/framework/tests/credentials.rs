//! Credentials reach a class through its `CredentialProvider`: the base `setup_credentials`
//! asks for every type the class wants, the tests see them, and the base `clear_credentials`
//! gives them all back, also when set-up failed half way.

use std::sync::{Arc, Mutex};

use subunit_emitter::{Delivery, StreamWriter};
use tempest_framework::{
    ClassCx, ClientsSetUp, Config, CredentialProvider, CredentialRequest, CredentialType,
    Credentials, Failure, HeldCredentials, RunOptions, Selection, Suite, TestClass, TestDef,
};

use crate::common;

/// What the provider saw, in order.
type Log = Arc<Mutex<Vec<String>>>;

struct Recording {
    log: Log,
    /// Refuse this label.
    refuse: Option<&'static str>,
    /// Fail the release of this label.
    stuck: Option<&'static str>,
}

#[derive(Debug)]
struct Held {
    credentials: Credentials,
    log: Log,
    stuck: bool,
}

impl HeldCredentials for Held {
    fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn release(self: Box<Self>) -> Result<(), Failure> {
        let label = &self.credentials.label;
        self.log.lock().unwrap().push(format!("release {label}"));
        if self.stuck {
            return Err(Failure::new(
                "CredentialsError",
                format!("{label} is stuck"),
            ));
        }
        Ok(())
    }
}

impl CredentialProvider for Recording {
    fn get(&self, r: &CredentialRequest<'_>) -> Result<Box<dyn HeldCredentials>, Failure> {
        let label = r.kind.label();
        self.log
            .lock()
            .unwrap()
            .push(format!("get {label} {:?} for {}", r.roles, r.class_name));
        if self.refuse == Some(label) {
            return Err(Failure::new(
                "CredentialsError",
                format!("no {label} for you"),
            ));
        }
        Ok(Box::new(Held {
            credentials: Credentials {
                label: label.to_owned(),
                username: format!("user-{label}"),
                password: "secret".to_owned(),
                user_domain_name: "Default".to_owned(),
                project_name: format!("project-{label}"),
                project_domain_name: "Default".to_owned(),
                roles: r.roles.to_vec(),
            },
            log: Arc::clone(&self.log),
            stuck: self.stuck == Some(label),
        }))
    }
}

struct Wants {
    log: Log,
    refuse: Option<&'static str>,
    stuck: Option<&'static str>,
}

impl TestClass for Wants {
    fn module(&self) -> &str {
        "demo.test_credentials"
    }
    fn name(&self) -> &str {
        "WantsCredentials"
    }
    fn credentials(&self) -> Vec<CredentialType> {
        vec![
            CredentialType::Primary,
            CredentialType::Admin,
            CredentialType::Roles {
                label: "reader".to_owned(),
                roles: vec!["reader".to_owned()],
            },
        ]
    }
    fn credential_provider(&self) -> Arc<dyn CredentialProvider> {
        Arc::new(Recording {
            log: Arc::clone(&self.log),
            refuse: self.refuse,
            stuck: self.stuck,
        })
    }
    fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        let t = cx.base_setup_clients()?;
        let c = cx
            .credentials("primary")
            .ok_or_else(|| Failure::runtime("no primary credentials"))?;
        self.log
            .lock()
            .unwrap()
            .push(format!("clients as {}", c.username));
        Ok(t)
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![TestDef::new("test_nothing", |_, _| Ok(()))]
    }
}

/// Runs the class with admin credentials configured, returning the provider's log and the
/// final statuses (`status id` lines).
fn run(refuse: Option<&'static str>, stuck: Option<&'static str>) -> (Vec<String>, Vec<String>) {
    let log = Log::default();
    let mut suite = Suite::new();
    suite
        .add(Wants {
            log: Arc::clone(&log),
            refuse,
            stuck,
        })
        .unwrap();
    let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
    tempest_framework::run(
        &suite,
        &Selection::all(&suite),
        Arc::new(Config::new()),
        &writer,
        &RunOptions::default(),
    )
    .unwrap();
    let finals = common::events(&writer.finish().unwrap())
        .into_iter()
        .filter(|l| l.starts_with("success") || l.starts_with("fail"))
        .collect();
    let log = log.lock().unwrap().clone();
    (log, finals)
}

#[test]
fn every_type_asked_for_is_had_used_and_given_back_last_first() {
    let (log, finals) = run(None, None);
    assert_eq!(
        log,
        [
            "get primary [] for WantsCredentials",
            "get admin [\"admin\"] for WantsCredentials",
            "get reader [\"reader\"] for WantsCredentials",
            "clients as user-primary",
            "release reader",
            "release admin",
            "release primary",
        ]
    );
    assert_eq!(
        finals,
        ["success demo.test_credentials.WantsCredentials.test_nothing"]
    );
}

#[test]
fn a_refusal_fails_set_up_and_what_was_had_is_still_given_back() {
    let (log, finals) = run(Some("admin"), None);
    assert_eq!(
        log,
        [
            "get primary [] for WantsCredentials",
            "get admin [\"admin\"] for WantsCredentials",
            "release primary",
        ]
    );
    assert_eq!(
        finals,
        ["fail setUpClass (demo.test_credentials.WantsCredentials)"]
    );
}

#[test]
fn a_failed_release_fails_tear_down_after_every_release_was_tried() {
    let (log, finals) = run(None, Some("admin"));
    assert_eq!(
        &log[4..],
        ["release reader", "release admin", "release primary"]
    );
    assert_eq!(
        finals,
        [
            "success demo.test_credentials.WantsCredentials.test_nothing",
            "fail tearDownClass (demo.test_credentials.WantsCredentials)"
        ]
    );
}
