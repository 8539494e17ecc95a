//! The configuration machinery (`tempest_framework::config`) with the suite's options: the
//! Valet plugin's groups are its test vehicle.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempest_framework::Failure;
use tempest_framework::config::*;

fn builtin() -> Arc<Registry> {
    super::registry().unwrap()
}

fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
    super::load(sources)
}

fn from(text: &str) -> Result<Loaded, ConfigError> {
    Config::from_ini(builtin(), Path::new("/cfg/tempest.conf"), text)
}

fn sources(cwd: &Path) -> Sources {
    Sources {
        cwd: cwd.to_owned(),
        fallback: cwd.join("no-fallback"),
        ..Sources::default()
    }
}

fn write(path: &Path, text: &str) -> PathBuf {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    path.to_owned()
}

#[test]
fn lookup_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cwd = root.join("work");
    fs::create_dir_all(&cwd).unwrap();
    let mut s = sources(&cwd);

    // Nothing anywhere: no file.
    assert_eq!(s.locate(), Ok(None));

    // The fallback, when it exists.
    let fallback = write(&root.join("fallback/tempest.conf"), "");
    s.fallback = fallback.clone();
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));

    // ./etc/tempest.conf beats the fallback.
    let local = write(&cwd.join("etc/tempest.conf"), "");
    assert_eq!(s.locate(), Ok(Some(local.clone())));

    // TEMPEST_CONFIG_DIR replaces ./etc; when the file is not there, the fallback is used (not
    // ./etc).
    let dir = root.join("confdir");
    s.tempest_config_dir = Some(dir.clone().into_os_string());
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));
    let in_dir = write(&dir.join("tempest.conf"), "");
    assert_eq!(s.locate(), Ok(Some(in_dir)));

    // TEMPEST_CONFIG replaces the file name, inside TEMPEST_CONFIG_DIR.
    s.tempest_config = Some("other.conf".into());
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));
    let other = write(&dir.join("other.conf"), "");
    assert_eq!(s.locate(), Ok(Some(other.clone())));

    // TEMPEST_CONFIG alone is looked for in ./etc; an absolute one stands alone (os.path.join).
    s.tempest_config_dir = None;
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));
    s.tempest_config = Some(other.clone().into_os_string());
    assert_eq!(s.locate(), Ok(Some(other.clone())));

    // A relative TEMPEST_CONFIG_DIR is relative to the working directory; an empty one is the
    // working directory itself.
    s.tempest_config = None;
    s.tempest_config_dir = Some("rel".into());
    let rel = write(&cwd.join("rel/tempest.conf"), "");
    assert_eq!(s.locate(), Ok(Some(rel)));
    s.tempest_config_dir = Some("".into());
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));
    let bare = write(&cwd.join("tempest.conf"), "");
    assert_eq!(s.locate(), Ok(Some(bare)));

    // A directory where the file should be does not count.
    s.tempest_config_dir = Some(root.into());
    s.tempest_config = Some("confdir".into());
    assert_eq!(s.locate(), Ok(Some(fallback.clone())));

    // --config-file beats everything, relative to the working directory, and must exist.
    s.config_file = Some("etc/tempest.conf".into());
    assert_eq!(s.locate(), Ok(Some(local)));
    s.config_file = Some("missing.conf".into());
    assert_eq!(
        s.locate(),
        Err(ConfigErrorKind::NotFound {
            path: "missing.conf".into()
        }
        .into())
    );
    assert_eq!(
        s.locate().unwrap_err().to_string(),
        "Config file: missing.conf doesn't exist"
    );
    s.config_file = Some("etc".into());
    assert!(matches!(
        s.locate().unwrap_err().kind(),
        ConfigErrorKind::NotAFile { .. }
    ));
}

#[test]
fn values_are_typed_and_defaults_fill_the_rest() {
    let text = "\
[DEFAULT]

[service_available]
nova = False
valet = no

[Placement]
endpoint_type = internalURL

[valet]
PAUSE = 2
PAUSE = 3

[auth]
tempest_roles = admin, member
admin_username = admin

[identity]
uri_v3 = http://keystone:5000/v3
";
    let c = from(text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = c.config;
    assert_eq!(c.service_available("nova"), Ok(false));
    assert_eq!(c.service_available("valet"), Ok(false));
    assert_eq!(c.service_available("glance"), Ok(true));
    assert_eq!(
        c.string("placement", "endpoint_type"),
        Ok(Some("internalURL"))
    );
    assert_eq!(c.string("placement", "catalog_type"), Ok(Some("placement")));
    // The last of a repeated key counts.
    assert_eq!(c.int("valet", "PAUSE"), Ok(Some(3)));
    assert_eq!(
        c.resolved("valet", "PAUSE").unwrap().origin,
        Location::File {
            path: "/cfg/tempest.conf".into(),
            line: 12
        }
    );
    assert_eq!(c.int("valet", "TRIES_TO_CREATE"), Ok(Some(5)));
    assert_eq!(c.int("valet", "TRIES_TO_SHOW_SERVER"), Ok(Some(10)));
    assert_eq!(
        c.resolved("valet", "TRIES_TO_CREATE").unwrap().origin,
        Location::Default
    );
    assert_eq!(
        c.list("auth", "tempest_roles"),
        Ok(&["admin".to_owned(), "member".to_owned()][..])
    );
    assert_eq!(c.string("auth", "admin_username"), Ok(Some("admin")));
    assert_eq!(c.string("auth", "admin_password"), Ok(None));
    assert_eq!(
        c.string("identity", "uri_v3"),
        Ok(Some("http://keystone:5000/v3"))
    );
    assert_eq!(c.int("service-clients", "http_timeout"), Ok(Some(60)));
    assert_eq!(c.test_timeout(), Ok(None));
    assert_eq!(c.concurrency(), Ok(0));
    assert_eq!(c.files(), [PathBuf::from("/cfg/tempest.conf")]);
}

#[test]
fn accessors_refuse_unknown_options_and_wrong_types() {
    let c = super::config();
    assert_eq!(
        c.bool("service_available", "zaqar"),
        Err(ConfigErrorKind::NoSuchOpt {
            section: "service_available".into(),
            key: "zaqar".into()
        }
        .into())
    );
    assert_eq!(
        c.int("placement", "catalog_type"),
        Err(ConfigErrorKind::WrongType {
            section: "placement".into(),
            key: "catalog_type".into(),
            wanted: "integer",
            found: "string"
        }
        .into())
    );
    // Keys are case-sensitive, sections are not.
    assert!(c.int("valet", "pause").is_err());
    assert_eq!(c.int("VALET", "PAUSE"), Ok(Some(5)));
    let f: Failure = c.int("valet", "pause").unwrap_err().into();
    assert!(
        matches!(f, Failure::Error { ref kind, .. } if kind == "NoSuchOptError"),
        "{f:?}"
    );
}

#[test]
fn unknown_sections_and_keys_are_warnings_with_lines() {
    let text = "\
[DEFAULT]
debug = True
[volume]
image_ref = abc
flavor_ref = 1
[valet]
pause = 3
tries-to-create = 2
TRIES = 1
[volume]
more = 1
[Valet]
PAUSE = 4
";
    let loaded = from(text).unwrap();
    let got: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "/cfg/tempest.conf:2: unknown option \"debug\" in [DEFAULT], ignored",
            "/cfg/tempest.conf:3: unknown section [volume]: no options are registered for it; \
             its 3 key(s) are ignored",
            "/cfg/tempest.conf:7: unknown option \"pause\" in [valet], ignored (did you mean PAUSE?)",
            "/cfg/tempest.conf:8: unknown option \"tries-to-create\" in [valet], ignored (did you \
             mean TRIES_TO_CREATE?)",
            "/cfg/tempest.conf:9: unknown option \"TRIES\" in [valet], ignored",
        ]
    );
    // Known keys still count, whatever the case of their section header.
    assert_eq!(loaded.config.int("valet", "PAUSE"), Ok(Some(4)));
    // `[default]` is not `[DEFAULT]`.
    let w = from("[default]\nx = 1\n").unwrap().warnings;
    assert!(
        matches!(&w[0].kind, WarningKind::UnknownSection { section, keys: 1 } if section == "default")
    );
}

#[test]
fn bad_values_name_file_line_section_key_and_expectation() {
    let cases = [
        (
            "[valet]\nPAUSE = soon\n",
            "/cfg/tempest.conf:2: [valet] PAUSE: \"soon\" is not an integer value",
        ),
        (
            "[service_available]\n\nvalet = maybe\n",
            "/cfg/tempest.conf:3: [service_available] valet: \"maybe\" is not a boolean value \
             (true/false, yes/no, on/off or 1/0, in any case)",
        ),
        (
            "[placement]\nendpoint_type = public\n",
            "/cfg/tempest.conf:2: [placement] endpoint_type: \"public\" is not one of publicURL, \
             adminURL, internalURL",
        ),
        (
            "[valet_suite]\ntest_timeout = -1\n",
            "/cfg/tempest.conf:2: [valet_suite] test_timeout: \"-1\" is not an integer value of \
             at least 0",
        ),
        (
            "[identity]\nuri_v3 = keystone:5000\n",
            "/cfg/tempest.conf:2: [identity] uri_v3: \"keystone:5000\" is not a URI with a host \
             and the scheme http or https",
        ),
        (
            "[service_available]\nnova = false  # not here\n",
            "/cfg/tempest.conf:2: [service_available] nova: \"false  # not here\" is not a \
             boolean value (true/false, yes/no, on/off or 1/0, in any case) (oslo.config has no \
             inline comments: everything after the `=` is the value)",
        ),
    ];
    for (text, want) in cases {
        let e = from(text).unwrap_err();
        assert!(matches!(e.kind(), ConfigErrorKind::Value { .. }), "{e:?}");
        assert_eq!(e.to_string(), want);
    }
    let e = from("[valet]\nPAUSE = x\n").unwrap_err();
    assert_eq!(
        e.kind(),
        &ConfigErrorKind::Value {
            location: Location::File {
                path: "/cfg/tempest.conf".into(),
                line: 2
            },
            section: "valet".into(),
            key: "PAUSE".into(),
            value: "x".into(),
            expected: "an integer value".into()
        }
    );
    // An empty integer is unset, as oslo.config reads it.
    let c = from("[valet]\nPAUSE =\n").unwrap().config;
    assert_eq!(c.int("valet", "PAUSE"), Ok(None));
}

#[test]
fn syntax_errors_name_file_and_line() {
    let e = from("[valet]\nPAUSE = 1\n  \n   stray\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/cfg/tempest.conf:4: Unexpected continuation line: \"   stray\""
    );
    let e = from("PAUSE = 1\n").unwrap_err();
    assert!(
        matches!(e.kind(), ConfigErrorKind::Parse { line: 1, .. }),
        "{e:?}"
    );
}

#[test]
fn files_are_read_as_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tempest.conf");
    fs::write(&path, b"[valet]\nPAUSE = 1\n# caf\xe9\n").unwrap();
    let s = Sources {
        config_file: Some(path.clone()),
        ..sources(tmp.path())
    };
    assert_eq!(
        load(&s).unwrap_err().kind(),
        &ConfigErrorKind::Encoding { path, line: 3 }
    );
}

#[test]
fn the_environment_timeout_overrides_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("etc/tempest.conf"),
        "[valet_suite]\ntest_timeout = 30\nconcurrency = 3\n",
    );
    let mut s = sources(tmp.path());
    let c = load(&s).unwrap().config;
    assert_eq!(c.test_timeout(), Ok(Some(Duration::from_secs(30))));
    assert_eq!(c.concurrency(), Ok(3));
    for (env, want) in [
        ("5", Some(5)),
        (" 7 ", Some(7)),
        ("0", None),
        ("-3", None),
        ("", None),
    ] {
        s.os_test_timeout = Some(env.into());
        let c = load(&s).unwrap().config;
        assert_eq!(
            c.test_timeout(),
            Ok(want.map(Duration::from_secs)),
            "{env:?}"
        );
        assert_eq!(
            c.resolved("valet_suite", "test_timeout").unwrap().origin,
            Location::Environment("OS_TEST_TIMEOUT".into())
        );
    }
    s.os_test_timeout = Some("soon".into());
    let e = load(&s).unwrap_err();
    assert_eq!(
        e.to_string(),
        "environment variable OS_TEST_TIMEOUT: [valet_suite] test_timeout: \"soon\" is not a \
         whole number of seconds (0 or less: no limit)"
    );
    // Without any file, the environment still counts.
    let empty = tempfile::tempdir().unwrap();
    let mut s = sources(empty.path());
    s.os_test_timeout = Some("9".into());
    let loaded = load(&s).unwrap();
    assert!(loaded.config.files().is_empty());
    assert_eq!(
        loaded.config.test_timeout(),
        Ok(Some(Duration::from_secs(9)))
    );
}

fn substitution_registry() -> Arc<Registry> {
    let mut r = Registry::new();
    let mut ns = r.namespace("t");
    ns.register_opts(
        OptGroup::DEFAULT,
        [
            Opt::string("host").default("localhost"),
            Opt::int("port").default(5000),
            Opt::string("nothing"),
        ],
    )
    .unwrap();
    ns.register_opt_group(
        OptGroup::new("identity"),
        [
            Opt::string("uri").default("http://$host:${port}/v3"),
            Opt::string("host").default("keystone"),
            Opt::string("here").default("$host"),
            Opt::list("roles").default(["$port", "x"]),
        ],
    )
    .unwrap();
    ns.register_opt_group(
        OptGroup::new("other"),
        [Opt::string("a"), Opt::string("b"), Opt::int("n").default(1)],
    )
    .unwrap();
    Arc::new(r)
}

#[test]
fn values_refer_to_other_options_as_in_oslo() {
    let r = substitution_registry();
    let c = Config::defaults(Arc::clone(&r)).unwrap();
    // `$host` in [identity] is [identity] host; `${port}` falls back to [DEFAULT].
    assert_eq!(
        c.string("identity", "uri"),
        Ok(Some("http://keystone:5000/v3"))
    );
    assert_eq!(c.string("identity", "here"), Ok(Some("keystone")));
    assert_eq!(
        c.list("identity", "roles"),
        Ok(&["5000".to_owned(), "x".to_owned()][..])
    );
    let text = "\
[DEFAULT]
host = h1
[other]
a = ${identity.uri}|$host|$$|\\$x|$nothing|$ |${bad|pa$$word
[identity]
host = id.example
";
    let loaded = Config::from_ini(Arc::clone(&r), Path::new("t.conf"), text).unwrap();
    assert_eq!(
        loaded.config.string("other", "a"),
        Ok(Some("http://id.example:5000/v3|h1|$|$x||$ |${bad|pa$word"))
    );
    let c = Config::from_ini(
        Arc::clone(&r),
        Path::new("t.conf"),
        "[other]\na = $n\nb = x${other.n}\n",
    )
    .unwrap()
    .config;
    assert_eq!(c.string("other", "a"), Ok(Some("1")));
    assert_eq!(c.string("other", "b"), Ok(Some("x1")));
}

#[test]
fn bad_references_are_errors() {
    let r = substitution_registry();
    let e = Config::from_ini(
        Arc::clone(&r),
        Path::new("t.conf"),
        "[other]\na = $missing\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.conf:2: [other] a: cannot substitute $missing: no such option"
    );
    let e = Config::from_ini(
        Arc::clone(&r),
        Path::new("t.conf"),
        "[other]\na = x$b\nb = y$a\n",
    )
    .unwrap_err();
    assert!(
        matches!(e.kind(), ConfigErrorKind::Substitution { reason, .. } if reason.contains("cycle")),
        "{e}"
    );
    let e = Config::from_ini(r, Path::new("t.conf"), "[other]\nn = $port\na = $nothing\n");
    assert!(e.is_ok(), "5000 is an integer");
    // Dots belong to the name, as in oslo.config: `$host.example` names [host] example.
    let e = Config::from_ini(
        substitution_registry(),
        Path::new("t.conf"),
        "[other]\na = $host.example\n",
    )
    .unwrap_err();
    assert!(
        matches!(e.kind(), ConfigErrorKind::Substitution { reference, .. } if reference == "host.example"),
        "{e}"
    );
}

#[test]
fn credentials_availability_follows_tempest() {
    let c = super::config();
    assert_eq!(c.admin_available(), Ok(true));
    assert_eq!(c.alt_available(), Ok(true));
    let c = super::config()
        .with("auth", "use_dynamic_credentials", "false")
        .unwrap();
    assert_eq!(c.admin_available(), Ok(false));
    assert!(matches!(
        c.alt_available(),
        Err(e) if matches!(e.kind(), ConfigErrorKind::InvalidConfiguration(_))
    ));
    let c = c
        .with("auth", "admin_username", "admin")
        .unwrap()
        .with("auth", "admin_password", "secret")
        .unwrap();
    assert_eq!(c.admin_available(), Ok(true));
    let c = c
        .with("auth", "test_accounts_file", "/etc/accounts.yaml")
        .unwrap();
    assert!(matches!(
        c.admin_available(),
        Err(e) if matches!(e.kind(), ConfigErrorKind::InvalidConfiguration(_))
    ));
    assert!(
        super::config()
            .with("auth", "use_dynamic_credentials", "perhaps")
            .is_err()
    );
}

#[test]
fn describe_lists_every_value_like_log_opt_values() {
    let c = from("[auth]\nadmin_password = hunter2\ntempest_roles = a,b\n")
        .unwrap()
        .config;
    let text = c.describe();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "*".repeat(80));
    assert_eq!(lines[2], "config files: ['/cfg/tempest.conf']");
    assert_eq!(lines[3], "=".repeat(80));
    assert!(
        lines.contains(&"auth.admin_password            = ****"),
        "{text}"
    );
    assert!(
        lines.contains(&"auth.tempest_roles             = ['a', 'b']"),
        "{text}"
    );
    assert!(
        lines.contains(&"service_available.valet        = True"),
        "{text}"
    );
    assert!(
        lines.contains(&"auth.admin_username            = None"),
        "{text}"
    );
    // Within a group, names sort as Python sorts them (upper case first).
    let valet: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("valet."))
        .copied()
        .collect();
    assert_eq!(
        valet,
        [
            "valet.PAUSE                    = 5",
            "valet.TRIES_TO_CREATE          = 5",
            "valet.TRIES_TO_SHOW_SERVER     = 10"
        ]
    );
    assert!(!text.contains("hunter2"));
}

#[test]
fn keys_read_typed_values_and_an_empty_number_reads_as_the_default() {
    use builtin::{auth, identity, service_clients};
    let c = from("[service-clients]\nhttp_timeout =\n[identity]\nregion = Two\n")
        .unwrap()
        .config;
    assert_eq!(c.get(service_clients::HTTP_TIMEOUT), Ok(None));
    assert_eq!(c.get_or_default(service_clients::HTTP_TIMEOUT), Ok(60));
    assert_eq!(c.get(identity::REGION), Ok("Two".to_owned()));
    assert_eq!(c.get(identity::URI_V3), Ok(None));
    assert_eq!(c.get(auth::TEMPEST_ROLES), Ok(Vec::new()));
    assert_eq!(c.get(auth::USE_DYNAMIC_CREDENTIALS), Ok(true));
    // A key naming an option as another type than it has is refused at run time (a key of
    // the registry's own never is: `builtin`'s test reads every one).
    let wrong: Key<bool> = Key::new(identity::GROUP, "region");
    assert!(matches!(
        c.get(wrong).unwrap_err().kind(),
        ConfigErrorKind::WrongType { .. }
    ));
    let c = c.set(identity::URI_V3, "http://keystone/v3").unwrap();
    assert_eq!(
        c.get(identity::URI_V3),
        Ok(Some("http://keystone/v3".to_owned()))
    );
}
