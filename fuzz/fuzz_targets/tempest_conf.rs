//! `tempest.conf` on any text: the oslo.config INI parser, then the typed load of every
//! built-in option (substitution `$opt` / `${group.opt}` included), as `tempest run` loads it.
//!
//! Beyond "no panic, no hang" (a substitution cycle must be an error, not a loop):
//! - every assignment and every error names a line of the input (1-based, within its lines);
//! - keys are never empty, and the parser is deterministic;
//! - a file the parser refuses is refused by the typed load with the same line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tempest_framework::config::{Config, builtin_registry, ini};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Python's universal newlines: `\r\n`, `\r` and `\n` each end a line.
    let lines = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .count();
    let parsed = ini::parse(text);
    assert_eq!(parsed, ini::parse(text), "the parser is not deterministic");
    match &parsed {
        Ok(file) => {
            for a in &file.assignments {
                assert!(!a.key.is_empty(), "an empty key was accepted: {a:?}");
                assert!((1..=lines).contains(&a.line), "{a:?} is past line {lines}");
            }
        }
        Err(e) => {
            assert!((1..=lines).contains(&e.line), "{e:?} is past line {lines}");
            assert!(!e.to_string().is_empty());
        }
    }
    let registry = builtin_registry().expect("the built-in options register");
    match Config::from_ini(registry, Path::new("tempest.conf"), text) {
        Ok(loaded) => {
            assert!(parsed.is_ok(), "the load took a file the parser refuses");
            for w in &loaded.warnings {
                assert!(!w.to_string().is_empty());
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            if let Err(p) = &parsed {
                assert!(
                    message.starts_with(&format!("tempest.conf:{}:", p.line)),
                    "the load's error {message:?} does not name line {}",
                    p.line
                );
            }
        }
    }
});
