//! `subunit-tags`: add and remove tags on every packet of a stream, as python-subunit 1.4.6's
//! `subunit-tags TAG -TAG ...` does.
//!
//! Every event python reads is written again (so stray bytes become `stdout` packets, and a
//! damaged packet becomes the `subunit.parser` pseudo-test's two packets): the tags named are
//! added to its tag set and the `-`tags removed, and a packet left with no tags has no tags
//! field. Timestamps come out at python's microsecond precision; the rest of each packet is
//! kept. Tags are written sorted (python writes its set's order, which changes from run to
//! run).

use std::collections::BTreeSet;
use std::io::{Read, Write};

use subunit_emitter::{PacketRef, StreamWriter, Tags, Timestamp};

use crate::Error;
use crate::pipeline::{Pipeline, Sink, View};

/// The tags to add and to remove.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagChange {
    /// Tags added to every packet.
    pub add: BTreeSet<String>,
    /// Tags removed from every packet (removal wins over addition, as in python).
    pub remove: BTreeSet<String>,
}

impl TagChange {
    /// The change python's `tags_to_new_gone` reads from its arguments: `TAG` adds, `-TAG`
    /// removes.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty argument (python crashes with `IndexError`).
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Self, Error> {
        let mut change = TagChange::default();
        for arg in args {
            let arg = arg.as_ref();
            match arg.strip_prefix('-') {
                _ if arg.is_empty() => {
                    return Err(Error::Invalid("a tag cannot be empty".into()));
                }
                Some(gone) => change.remove.insert(gone.to_owned()),
                None => change.add.insert(arg.to_owned()),
            };
        }
        Ok(change)
    }

    /// The tag set of `tags` after the change.
    pub fn apply<'a>(&'a self, tags: Option<Tags<'a>>) -> BTreeSet<&'a str> {
        let mut set: BTreeSet<&str> = tags.map(|t| t.iter().collect()).unwrap_or_default();
        set.extend(self.add.iter().map(String::as_str));
        for gone in &self.remove {
            set.remove(gone.as_str());
        }
        set
    }
}

/// Writes `ev` to `out` with its tags changed.
///
/// # Errors
///
/// The writer's error.
pub fn retag<W: Write>(
    change: &TagChange,
    ev: &PacketRef<'_>,
    out: &StreamWriter<W>,
) -> Result<(), Error> {
    let set = change.apply(ev.tags);
    let tags: Vec<&str> = set.into_iter().collect();
    let p = PacketRef {
        timestamp: ev.timestamp.map(Timestamp::python_rounded),
        tags: (!tags.is_empty()).then_some(Tags::Strs(&tags)),
        mime_type: ev.mime_type.filter(|m| !m.is_empty()),
        ..*ev
    };
    out.write_packet(&p)?;
    Ok(())
}

/// `subunit-tags` as a [`Sink`] of raw events: every event written again, retagged.
struct Retag<'a, W: Write> {
    change: &'a TagChange,
    out: &'a StreamWriter<W>,
}

impl<W: Write> Sink for Retag<'_, W> {
    type Error = Error;
    const RECORDS: bool = false;

    fn event(&mut self, ev: &PacketRef<'_>) -> Result<(), Error> {
        retag(self.change, ev, self.out)
    }
}

/// Runs `subunit-tags` over `input` (python always exits 0).
///
/// # Errors
///
/// A read or write error.
pub fn run<W: Write>(
    input: impl Read,
    out: StreamWriter<W>,
    change: &TagChange,
) -> Result<(), Error> {
    let mut retagged = Retag { change, out: &out };
    Pipeline::new()
        .view(View::Python)
        .run::<_, Error>(input, &mut retagged)?;
    out.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Delivery, Packet, Status, to_vec};
    use subunit_parser::events::{EventReader, python_events};

    fn tagged(args: &[&str], input: &[u8]) -> Vec<Packet> {
        let out = StreamWriter::new(Vec::new(), Delivery::Buffered);
        let change = TagChange::from_args(args).unwrap();
        python_events(input, |ev| retag(&change, ev, &out)).unwrap();
        let bytes = out.finish().unwrap();
        let mut r = EventReader::new(&bytes[..]);
        let mut v = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            v.push(e.to_packet());
        }
        v
    }

    #[test]
    fn adds_and_removes_on_every_packet_and_drops_empty_sets() {
        let mut input = b"noise".to_vec();
        input.extend(
            to_vec(
                &Packet::status("t", Status::Success)
                    .with_tags(["old", "keep"])
                    .as_ref(),
            )
            .unwrap(),
        );
        input.extend(
            to_vec(
                &Packet::status("u", Status::Fail)
                    .with_tags(["old"])
                    .as_ref(),
            )
            .unwrap(),
        );
        let got = tagged(&["new", "-old"], &input);
        assert_eq!(got[0].file.as_ref().unwrap().content, b"noise");
        assert_eq!(got[0].tags.as_deref(), Some(&["new".to_owned()][..]));
        assert_eq!(
            got[1].tags.as_deref(),
            Some(&["keep".to_owned(), "new".to_owned()][..])
        );
        let got = tagged(&["-old"], &input);
        assert_eq!(got[0].tags, None);
        assert_eq!(
            got[2].tags, None,
            "a packet left without tags loses the field"
        );
    }

    #[test]
    fn removal_wins_and_empty_is_refused() {
        let c = TagChange::from_args(&["a", "-a"]).unwrap();
        assert!(c.apply(None).is_empty());
        assert!(TagChange::from_args(&[""]).is_err());
    }
}
