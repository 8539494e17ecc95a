//! The loader as a sink of the toolkit's one pipeline (`subunit_sinks::Pipeline`): a stream in,
//! one run stored.

use std::borrow::BorrowMut;
use std::io::Read;

use subunit_parser::error::ReadError;
use subunit_parser::fold::TestRecord;
use subunit_sinks::{Exists, Open, Pipeline, Sink};

use crate::{Database, Loader, RunStored, SqlError};

/// Why a stream could not be stored; nothing of it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The database refused it.
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// The stream could not be read.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// Bytes that are not subunit, which python-subunit refuses ("Non subunit content")
    /// unless given a name for them.
    #[error(
        "non-subunit content before byte {position}; give --non_subunit_name NAME to accept it \
         (nothing of this stream was stored)"
    )]
    NonSubunit {
        /// The stream offset the stray bytes end at.
        position: u64,
    },
}

/// A [`Loader`] fed by the pipeline: each finished test becomes a row.
#[derive(Debug)]
pub struct LoadSink<D: BorrowMut<Database>> {
    loader: Loader<D>,
    accept_stray: bool,
}

impl<D: BorrowMut<Database>> LoadSink<D> {
    /// A sink storing into `loader`; stray bytes are refused unless `accept_stray`.
    pub fn new(loader: Loader<D>, accept_stray: bool) -> Self {
        LoadSink {
            loader,
            accept_stray,
        }
    }

    /// Reads `input` to its end through the pipeline and stores the run in one transaction.
    /// `exists` announcements are folded (the loader skips them) and the tests left open are
    /// stored in the order they started, as subunit2sql stores them.
    ///
    /// # Errors
    ///
    /// [`LoadError`]; then nothing of the stream is stored.
    pub fn load(mut self, input: impl Read) -> Result<RunStored, LoadError> {
        Pipeline::new()
            .exists(Exists::Fold)
            .open(Open::OldestFirst)
            .run::<_, LoadError>(input, &mut self)?;
        Ok(self.loader.finish()?)
    }
}

impl<D: BorrowMut<Database>> Sink for LoadSink<D> {
    type Error = LoadError;

    fn stray(&mut self, position: u64) -> Result<(), LoadError> {
        if self.accept_stray {
            Ok(())
        } else {
            Err(LoadError::NonSubunit { position })
        }
    }

    fn record(&mut self, record: TestRecord) -> Result<(), LoadError> {
        Ok(self.loader.record(&record)?)
    }
}
