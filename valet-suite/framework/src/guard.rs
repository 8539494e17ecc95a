//! Running user code so that a panic becomes a [`Failure`] with its message and location.
//!
//! A panic hook is installed once per process. On threads inside [`run_guarded`] it records the
//! message and location for the failure instead of printing them; everywhere else it defers to
//! the hook that was there before, so the program's other panics look as they always did.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::failure::Failure;

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn install() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let msg = payload_text(info.payload());
                let text = match info.location() {
                    Some(l) => format!(
                        "panicked at {}:{}:{}: {msg}",
                        l.file(),
                        l.line(),
                        l.column()
                    ),
                    None => format!("panicked: {msg}"),
                };
                LAST.with(|l| *l.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

/// Runs `f`; a panic inside it becomes `Err(Failure)` of kind `Panic` holding the panic's message
/// and location.
pub fn run_guarded<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    install();
    let was = CAPTURING.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(was));
    match result {
        Ok(r) => r,
        Err(payload) => {
            let text = LAST
                .with(|l| l.borrow_mut().take())
                .unwrap_or_else(|| format!("panicked: {}", payload_text(payload.as_ref())));
            Err(Failure::new("Panic", text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure_with_message_and_location() {
        let r: Result<(), Failure> = run_guarded(|| panic!("bad {}", 42));
        let Err(Failure::Error { kind, message, .. }) = r else {
            panic!("expected an error")
        };
        assert_eq!(kind, "Panic");
        assert!(message.contains("bad 42"), "{message}");
        assert!(message.contains("guard.rs:"), "{message}");
        assert_eq!(run_guarded(|| Ok(3)), Ok(3));
        assert_eq!(
            run_guarded::<()>(|| Err(Failure::skip("s"))),
            Err(Failure::skip("s"))
        );
    }
}
