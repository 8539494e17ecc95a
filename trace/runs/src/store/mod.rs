//! The run store: a repository of test runs in stestr 4.2.1's layout, read and written so
//! that stestr reads the runs stored here and this reads stestr's.
//!
//! # Layout (`DIR/.stestr/`)
//!
//! | file | holds |
//! | --- | --- |
//! | `format` | `1\n` |
//! | `next-stream` | the next run id, decimal, then `\n` |
//! | `0`, `1`, ... | each run as a subunit **v1** text stream (what stestr 4.2.1 writes: its inserter is python-subunit's v1 `TestProtocolClient`, and it reads runs back with the v1 parser; a v2 file there is invisible to it). Runs written in v2 by other tools are read too. |
//! | `failing` | the failing tests of the latest run, as a v1 stream |
//! | `times.dbm.{dat,dir,bak}` | python `dbm.dumb`: test id without `[...]` → its latest duration in seconds (python's `str(float)`) |
//! | `meta.dbm.{dat,dir,bak}` | python `dbm.dumb`: run id → the metadata given when it was loaded |
//!
//! Run ids may have gaps (after [`Store::remove`]); the runs are the files `0 .. next-stream`
//! that exist.
//!
//! # Writing a run ([`Store::load`])
//!
//! The input is folded test by test and each finished test written to a temporary file in the
//! repository as stestr's inserter writes it (`time:`, `tags:`, `test:`, `time:`, the outcome
//! with its attachments; output outside tests is not stored, as in stestr). When the input ends the file is
//! synced, a run id allocated (`next-stream.new` written and renamed over `next-stream`), and
//! only then the file linked to its id. A process killed at any moment therefore leaves only
//! whole runs, and `next-stream` is always above every stored id (at worst an id is skipped,
//! a gap stestr allows). The failing file is replaced the same way; times and metadata are
//! updated as [`dumb`](subunit_sinks::dumb) describes.
//!
//! [`LoadOptions`] adds stestr's inserter options: `id` appends the input to a stored run (the
//! run file is rewritten as its old text followed by the new, through a temporary file and a
//! rename), and `partial` merges the failing file as stestr's inserter does with `partial=True`:
//! the current failing tests first, then each test of the run in order, a failure added (or
//! replaced where it was) and anything else removed, so a test that now passes leaves the list
//! and one that did not run stays. Without `partial` the failing file holds the failures of the
//! run stored (all of run N's, old and new, after an append).
//!
//! # Concurrent loads
//!
//! stestr's repository does not lock (its `_allocate` says `XXX: lock the file`): two loads at
//! once can read the same `next-stream` and one run is lost. Here every load takes an exclusive
//! lock on `.stestr/lock` (an advisory `flock`, released when the process ends, even on a kill)
//! from allocating the id to the last database write, so concurrent loads get distinct ids and
//! `next-stream` ends above them all. The stream itself is read and written before the lock is
//! taken, so a long run does not hold other loads up. stestr ignores the file.
//!
//! # Reading
//!
//! [`Store::read_run`] feeds a stored run's events (python-subunit's view) to a callback; the
//! [`report`] module renders them as stestr's commands do.

pub mod report;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use subunit_emitter::{PacketRef, Status, Timestamp};
use subunit_parser::error::ReadError;
use subunit_parser::fold::{Fold, TestRecord};
use subunit_parser::v1::{V1Error, V1Reader};

use subunit_parser::events::python_events;
use subunit_sinks::dumb::{DumbDb, DumbError, py_float_repr};
use subunit_sinks::pipeline::{Exists, Pipeline, Sink, View};
use subunit_sinks::trace::cleanup_test_name;
use subunit_sinks::v1_writer::V1Writer;

/// The repository directory's name.
pub const REPO_DIR: &str = ".stestr";

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// There is no repository.
    #[error("no repository found in {}", .0.display())]
    NotFound(PathBuf),
    /// A repository exists where one was to be created.
    #[error("a repository already exists in {}", .0.display())]
    Exists(PathBuf),
    /// The `format` file does not say `1`.
    #[error("{}: unknown repository format", .0.display())]
    BadFormat(PathBuf),
    /// `next-stream` does not hold a number.
    #[error("{}: corrupt next-stream file: {content:?}", path.display())]
    CorruptNextStream {
        /// The file.
        path: PathBuf,
        /// What it holds.
        content: String,
    },
    /// The repository has no runs.
    #[error("no test runs in the repository")]
    NoRuns,
    /// The run asked for is not stored.
    #[error("no run {0} in the repository")]
    NoSuchRun(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A times or metadata database is damaged.
    #[error(transparent)]
    Db(#[from] DumbError),
    /// A v2 stream (input or stored) could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The stream (`-` for stdin).
        path: PathBuf,
        /// What went wrong.
        source: ReadError,
    },
    /// A stored v1 run could not be read.
    #[error("{}: {source}", path.display())]
    V1 {
        /// The run file.
        path: PathBuf,
        /// What went wrong.
        source: V1Error,
    },
    /// Writing the output failed (the reader went away, or the disk is full).
    #[error("{0}")]
    Output(#[from] io::Error),
}

impl StoreError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Whether this is the reader of the output going away.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, StoreError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A repository in stestr's layout.
#[derive(Clone, Debug)]
pub struct Store {
    base: PathBuf,
}

/// What [`Store::load`] stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The id the run was stored under.
    pub id: u64,
    /// How many tests were stored.
    pub tests: usize,
    /// How many of them are in the failing file (failed, or never finished).
    pub failing: usize,
}

/// How [`Store::load_with`] stores a run (stestr's inserter options).
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions<'a> {
    /// Metadata to store with the run (shown by `history list --show-metadata`).
    pub metadata: Option<&'a str>,
    /// Append the input to this stored run instead of storing a new one (stestr's `load --id`).
    pub id: Option<u64>,
    /// Merge the run's results into the failing file instead of replacing it (stestr's
    /// inserter with `partial=True`): a failure is added, any other result removes the test,
    /// a test that did not run stays.
    pub partial: bool,
}

/// What [`Store::write_run`] wrote: (tests, failing), and the times to record, in the order
/// stestr records them.
type Written = (usize, Vec<(String, String)>);

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh file in `dir` whose name starts with `tmp` (stestr's temporary names start so
/// too, and are never numbers): created exclusively.
fn temp_file(dir: &Path) -> Result<(PathBuf, File), StoreError> {
    loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("tmp-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io(&path)(e)),
        }
    }
}

impl Store {
    /// Creates a repository in `dir` (`dir/.stestr`, with `format` and `next-stream` 0). An
    /// empty `.stestr` directory is taken over, as stestr does; anything else there is an
    /// error.
    pub fn init(dir: &Path) -> Result<Store, StoreError> {
        let base = dir.join(REPO_DIR);
        match fs::create_dir(&base) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let empty = fs::read_dir(&base)
                    .map_err(StoreError::io(&base))?
                    .next()
                    .is_none();
                if !empty {
                    return Err(StoreError::Exists(base));
                }
            }
            Err(e) => return Err(StoreError::io(&base)(e)),
        }
        let store = Store { base };
        store.write_atomic(&store.path("format"), b"1\n")?;
        store.write_next_stream(0)?;
        Ok(store)
    }

    /// Opens the repository in `dir` (`dir/.stestr`), or `dir` itself when it is a `.stestr`
    /// directory, so every tool takes either the repository or the directory holding it.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let base = if !dir.join(REPO_DIR).is_dir() && dir.file_name().is_some_and(|n| n == REPO_DIR)
        {
            dir.to_path_buf()
        } else {
            dir.join(REPO_DIR)
        };
        let format = base.join("format");
        match fs::read(&format) {
            Ok(text) if text == b"1\n" => Ok(Store { base }),
            Ok(_) => Err(StoreError::BadFormat(format)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound(dir.into())),
            Err(e) => Err(StoreError::io(&format)(e)),
        }
    }

    /// The repository directory (`.../.stestr`).
    pub fn base(&self) -> &Path {
        &self.base
    }

    fn path(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// The file of run `id`.
    pub fn run_path(&self, id: u64) -> PathBuf {
        self.path(&id.to_string())
    }

    /// The next run id (`next-stream`).
    pub fn next_stream(&self) -> Result<u64, StoreError> {
        let path = self.path("next-stream");
        let text = fs::read(&path).map_err(StoreError::io(&path))?;
        let content = String::from_utf8_lossy(&text).into_owned();
        content
            .trim()
            .parse()
            .map_err(|_| StoreError::CorruptNextStream { path, content })
    }

    /// Writes `bytes` to `path` through a temporary file and a rename.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let (tmp, mut f) = temp_file(&self.base)?;
        if let Err(e) = f.write_all(bytes) {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError::io(&tmp)(e));
        }
        drop(f);
        fs::rename(&tmp, path).map_err(StoreError::io(path))
    }

    /// stestr's `_write_next_stream`: `next-stream.new`, then renamed over `next-stream`.
    fn write_next_stream(&self, value: u64) -> Result<(), StoreError> {
        let new = self.path("next-stream.new");
        let written = File::create(&new).and_then(|mut f| {
            f.write_all(format!("{value}\n").as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            // A full disk: the old next-stream stays, and no half-written `.new` beside it.
            let _ = fs::remove_file(&new);
            return Err(StoreError::io(&new)(e));
        }
        fs::rename(&new, self.path("next-stream")).map_err(StoreError::io(&new))
    }

    /// The stored run ids, ascending: the files `0 .. next-stream` that exist.
    pub fn run_ids(&self) -> Result<Vec<u64>, StoreError> {
        let next = self.next_stream()?;
        let mut ids: Vec<u64> = fs::read_dir(&self.base)
            .map_err(StoreError::io(&self.base))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                // Only canonical decimal names, as python's `str(i)` spells them.
                let id: u64 = name.parse().ok()?;
                (id.to_string() == name && id < next && e.path().is_file()).then_some(id)
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// The latest run id, `next-stream - 1` (which may have been removed); `None` in an
    /// empty repository.
    pub fn latest_id(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.next_stream()?.checked_sub(1))
    }

    /// Whether run `id` is stored.
    pub fn has_run(&self, id: u64) -> bool {
        self.run_path(id).is_file()
    }

    /// Parses a run id as given on a command line.
    pub fn parse_id(&self, text: &str) -> Result<u64, StoreError> {
        let id: u64 = text
            .parse()
            .map_err(|_| StoreError::NoSuchRun(text.to_owned()))?;
        if self.has_run(id) {
            Ok(id)
        } else {
            Err(StoreError::NoSuchRun(text.to_owned()))
        }
    }

    /// Removes run `id` (its stream only, as stestr does).
    pub fn remove(&self, id: u64) -> Result<(), StoreError> {
        let path = self.run_path(id);
        if !path.is_file() {
            return Err(StoreError::NoSuchRun(id.to_string()));
        }
        fs::remove_file(&path).map_err(StoreError::io(&path))
    }

    /// Feeds `f` the events of run `id`.
    pub fn read_run(
        &self,
        id: u64,
        f: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<(), StoreError> {
        let path = self.run_path(id);
        if !path.is_file() {
            return Err(StoreError::NoSuchRun(id.to_string()));
        }
        read_stream(&path, f)
    }

    /// Feeds `f` the events of the failing file (none when there is no such file).
    pub fn read_failing(
        &self,
        f: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<(), StoreError> {
        let path = self.path("failing");
        if !path.is_file() {
            return Ok(());
        }
        read_stream(&path, f)
    }

    /// Writes run `id` as a subunit v2 stream: a stored v2 file as it is, a v1 file converted
    /// as python-subunit's `subunit-1to2` converts it.
    pub fn write_v2(&self, id: u64, out: impl Write) -> Result<(), StoreError> {
        let path = self.run_path(id);
        if !path.is_file() {
            return Err(StoreError::NoSuchRun(id.to_string()));
        }
        copy_as_v2(&path, out)
    }

    /// Writes the failing file as a v2 stream (nothing when there is none).
    pub fn write_failing_v2(&self, out: impl Write) -> Result<(), StoreError> {
        let path = self.path("failing");
        if !path.is_file() {
            return Ok(());
        }
        copy_as_v2(&path, out)
    }

    /// The metadata stored with run `id`.
    pub fn metadata(&self, id: u64) -> Result<Option<String>, StoreError> {
        let Some(db) = DumbDb::open_existing(&self.path("meta.dbm"))? else {
            return Ok(None);
        };
        Ok(db
            .get(id.to_string().as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every recorded test time (seconds), by test id without `[...]` attributes. Values that
    /// are not numbers are left out.
    pub fn times(&self) -> Result<HashMap<String, f64>, StoreError> {
        let Some(db) = DumbDb::open_existing(&self.path("times.dbm"))? else {
            return Ok(HashMap::new());
        };
        let mut times = HashMap::with_capacity(db.len());
        for (k, v) in db.items()? {
            let value = std::str::from_utf8(&v)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok());
            if let (Ok(k), Some(v)) = (String::from_utf8(k), value) {
                times.insert(k, v);
            }
        }
        Ok(times)
    }

    /// Stores the runs in `inputs` (v2 streams, read one after another) as one new run, with
    /// `metadata` if given, as described in the [module docs](self). Every event is also given
    /// to `observe`, for the command's output. On an error nothing is stored.
    pub fn load<R: Read>(
        &self,
        inputs: Vec<(PathBuf, R)>,
        metadata: Option<&str>,
        observe: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<Loaded, StoreError> {
        let opts = LoadOptions {
            metadata,
            ..LoadOptions::default()
        };
        self.load_with(inputs, &opts, observe)
    }

    /// [`Store::load`] with stestr's inserter options: append to a stored run, merge the
    /// failing file (see the [module docs](self)). A run to append to that is not stored is
    /// an error ([`StoreError::NoSuchRun`]; stestr would create the file, beyond
    /// `next-stream`, where nothing lists it).
    pub fn load_with<R: Read>(
        &self,
        inputs: Vec<(PathBuf, R)>,
        opts: &LoadOptions<'_>,
        mut observe: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<Loaded, StoreError> {
        if let Some(id) = opts.id
            && !self.has_run(id)
        {
            return Err(StoreError::NoSuchRun(id.to_string()));
        }
        let merge = opts.partial || opts.id.is_some();
        let (run_tmp, run_file) = temp_file(&self.base)?;
        let mut failing = if merge {
            Failing::Deferred(Vec::new())
        } else {
            Failing::Direct(FailMap::default())
        };
        let written = self.write_run(inputs, run_file, &mut failing, &mut observe);
        let result = written.and_then(|(tests, times)| {
            self.commit(&run_tmp, failing, &times, opts)
                .map(|(id, failing)| Loaded { id, tests, failing })
        });
        let _ = fs::remove_file(&run_tmp);
        result
    }

    /// An exclusive lock on the repository's `lock` file, held until the guard drops.
    fn lock(&self) -> Result<File, StoreError> {
        let path = self.path("lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(StoreError::io(&path))?;
        f.lock().map_err(StoreError::io(&path))?;
        Ok(f)
    }

    /// Puts the written run in place under the lock: a new id (or the run appended to), the
    /// failing file, metadata and times. Returns the id and how many tests are failing.
    fn commit(
        &self,
        run_tmp: &Path,
        new: Failing,
        times: &[(String, String)],
        opts: &LoadOptions<'_>,
    ) -> Result<(u64, usize), StoreError> {
        let _lock = self.lock()?;
        let mut failing = FailMap::default();
        if opts.partial {
            let path = self.path("failing");
            if path.is_file() {
                collect_failing(&path, &mut failing)?;
            }
        }
        let id = match opts.id {
            Some(id) => {
                let dest = self.run_path(id);
                if !dest.is_file() {
                    return Err(StoreError::NoSuchRun(id.to_string()));
                }
                collect_failing(&dest, &mut failing)?;
                // The old text, then the new, put in place with a rename: a kill leaves the
                // run as it was or as it is now.
                let (tmp, mut f) = temp_file(&self.base)?;
                let appended = (|| -> io::Result<()> {
                    io::copy(&mut File::open(&dest)?, &mut f)?;
                    io::copy(&mut File::open(run_tmp)?, &mut f)?;
                    f.sync_all()
                })();
                if let Err(e) = appended.and_then(|()| fs::rename(&tmp, &dest)) {
                    let _ = fs::remove_file(&tmp);
                    return Err(StoreError::io(&dest)(e));
                }
                id
            }
            None => {
                // Allocate, then link: a kill between the two leaves a gap, never a run that
                // next-stream does not cover.
                let id = self.next_stream()?;
                self.write_next_stream(id + 1)?;
                let dest = self.run_path(id);
                fs::hard_link(run_tmp, &dest).map_err(StoreError::io(&dest))?;
                id
            }
        };
        match new {
            Failing::Direct(map) => failing = map,
            Failing::Deferred(outcomes) => {
                for o in outcomes {
                    failing.apply(o);
                }
            }
        }
        let count = self.write_failing(failing)?;
        // stestr opens the metadata database after every load (to show the run), which
        // creates it empty when no metadata was ever given; so do we.
        let mut db = DumbDb::open(&self.path("meta.dbm"))?;
        if let Some(meta) = opts.metadata.filter(|m| !m.is_empty()) {
            db.set(id.to_string().as_bytes(), meta.as_bytes())?;
        }
        db.commit()?;
        let mut db = DumbDb::open(&self.path("times.dbm"))?;
        for (k, v) in times {
            db.set(k.as_bytes(), v.as_bytes())?;
        }
        db.commit()?;
        Ok((id, count))
    }

    /// Replaces the failing file with `failing`'s records; returns how many there are.
    fn write_failing(&self, failing: FailMap) -> Result<usize, StoreError> {
        let (tmp, f) = temp_file(&self.base)?;
        let mut w = V1Writer::new(BufWriter::new(f));
        let mut count = 0;
        let written = (|| -> io::Result<()> {
            for r in failing.into_records() {
                w.record(&r)?;
                count += 1;
            }
            let f = w.into_inner().into_inner().map_err(|e| e.into_error())?;
            f.sync_all()
        })();
        let path = self.path("failing");
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, &path)) {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError::io(&path)(e));
        }
        Ok(count)
    }

    /// The ids in the failing file, in its order (what `stestr run --failing` runs).
    pub fn failing_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = report::IdCollector::default();
        self.read_failing(|ev| {
            ids.event(ev);
            Ok(())
        })?;
        Ok(ids.finish())
    }

    /// Writes the run file; the failing tests go to `failing`. Returns how many tests were
    /// stored and the times to record, in the order stestr records them.
    fn write_run<R: Read>(
        &self,
        inputs: Vec<(PathBuf, R)>,
        run_file: File,
        failing: &mut Failing,
        observe: &mut impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<Written, StoreError> {
        let mut run = V1Writer::new(BufWriter::with_capacity(256 * 1024, run_file));
        let mut times = TimesOrder::default();
        let mut clock: Option<Timestamp> = None;
        let mut tests = 0;
        for (path, input) in inputs {
            let mut load = Load {
                run: Some(&mut run),
                failing: &mut *failing,
                times: Some(&mut times),
                clock: &mut clock,
                tests: &mut tests,
                last_seen: HashMap::new(),
                observe: &mut *observe,
            };
            let res = Pipeline::new()
                .view(View::Python)
                .exists(Exists::Fold)
                .run::<_, StoreError>(input, &mut load);
            match res {
                Ok(()) => {}
                Err(StoreError::Read { source, .. }) => {
                    return Err(StoreError::Read { path, source });
                }
                Err(e) => return Err(e),
            }
        }
        let path = self.base.join("run");
        let f = run
            .into_inner()
            .into_inner()
            .map_err(|e| StoreError::io(&path)(e.into_error()))?;
        f.sync_all().map_err(StoreError::io(&path))?;
        Ok((tests, times.into_vec()))
    }
}

/// Adds the failures of the stored stream at `path` to `failing` (and removes the tests it
/// has passing), as stestr's in-memory repository does when it replays a run.
fn collect_failing(path: &Path, failing: &mut FailMap) -> Result<(), StoreError> {
    let mut v2 = Vec::new();
    copy_as_v2(path, &mut v2)?;
    let mut direct = Failing::Direct(std::mem::take(failing));
    let (mut clock, mut tests) = (None, 0);
    let mut load = Load::<io::Sink, _> {
        run: None,
        failing: &mut direct,
        times: None,
        clock: &mut clock,
        tests: &mut tests,
        last_seen: HashMap::new(),
        observe: &mut |_: &PacketRef<'_>| Ok(()),
    };
    Pipeline::new()
        .view(View::Python)
        .exists(Exists::Fold)
        .run::<_, StoreError>(&v2[..], &mut load)
        .map_err(|e| match e {
            StoreError::Read { source, .. } => StoreError::Read {
                path: path.to_path_buf(),
                source,
            },
            e => e,
        })?;
    if let Failing::Direct(map) = direct {
        *failing = map;
    }
    Ok(())
}

/// One test's result as the failing file's merge sees it.
enum Outcome {
    /// It failed (or never finished): its record as the failing file holds it.
    Fail(Box<TestRecord>),
    /// Any other result.
    Other(String),
}

/// stestr's in-memory failing list: an ordered dict, test id → record.
#[derive(Default)]
struct FailMap {
    order: Vec<Option<TestRecord>>,
    index: HashMap<String, usize>,
}

impl FailMap {
    fn apply(&mut self, o: Outcome) {
        match o {
            Outcome::Fail(r) => match self.index.get(&r.id) {
                Some(&i) => self.order[i] = Some(*r),
                None => {
                    self.index.insert(r.id.clone(), self.order.len());
                    self.order.push(Some(*r));
                }
            },
            Outcome::Other(id) => {
                if let Some(i) = self.index.remove(&id) {
                    self.order[i] = None;
                }
            }
        }
    }

    fn into_records(self) -> impl Iterator<Item = TestRecord> {
        self.order.into_iter().flatten()
    }
}

/// Where a load's failing tests go: straight into the list (a plain load, whose list starts
/// empty), or kept in order to be merged under the lock (`partial`, or an append).
enum Failing {
    Direct(FailMap),
    Deferred(Vec<Outcome>),
}

impl Failing {
    fn push(&mut self, o: Outcome) {
        match self {
            Failing::Direct(m) => m.apply(o),
            Failing::Deferred(v) => v.push(o),
        }
    }
}

impl From<ReadError> for StoreError {
    fn from(source: ReadError) -> Self {
        StoreError::Read {
            path: PathBuf::from("-"),
            source,
        }
    }
}

/// A python dict's order: first insertion decides the position, later ones the value.
#[derive(Default)]
struct TimesOrder {
    order: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl TimesOrder {
    fn insert(&mut self, k: String, v: String) {
        match self.index.get(&k) {
            Some(&i) => self.order[i].1 = v,
            None => {
                self.index.insert(k.clone(), self.order.len());
                self.order.push((k, v));
            }
        }
    }

    fn into_vec(self) -> Vec<(String, String)> {
        self.order
    }
}

/// One input of a load as a [`Sink`]: every event to the observer, each test written to the
/// run file as it ends (when there is one), its outcome given to the failing list, its time
/// recorded (when times are kept). Without a run file and times it reads a stored stream back
/// into the failing list.
struct Load<'a, W: Write, O> {
    run: Option<&'a mut V1Writer<W>>,
    failing: &'a mut Failing,
    times: Option<&'a mut TimesOrder>,
    /// The time current in the run file (its last `time:` line), which python's v1 reader
    /// gives to a test without times of its own when it replays the run.
    clock: &'a mut Option<Timestamp>,
    tests: &'a mut usize,
    /// The latest timestamp of each test in flight: python's record of a test that never
    /// finishes ends there (the fold's does not).
    last_seen: HashMap<(String, Option<String>), Timestamp>,
    observe: &'a mut O,
}

impl<W: Write, O: FnMut(&PacketRef<'_>) -> io::Result<()>> Sink for Load<'_, W, O> {
    type Error = StoreError;

    fn event(&mut self, ev: &PacketRef<'_>) -> Result<(), StoreError> {
        (self.observe)(ev)?;
        if let Some(id) = ev.test_id
            && let Some(ts) = ev.timestamp
            && ev.status != Status::Exists
        {
            self.last_seen
                .insert((id.to_owned(), ev.route_code.map(str::to_owned)), ts);
        }
        Ok(())
    }

    fn record(&mut self, r: TestRecord) -> Result<(), StoreError> {
        if r.complete {
            self.last_seen.remove(&(r.id.clone(), r.route_code.clone()));
        }
        if r.status == Some(Status::Exists) {
            return Ok(());
        }
        *self.tests += 1;
        if let Some(run) = self.run.as_mut() {
            run.record(&r)?;
        }
        let before = *self.clock;
        *self.clock = r.end.or(r.start).or(*self.clock);
        // The failing file holds what v1 calls failures: failed tests and tests that never
        // finished (not unexpected successes).
        let end = r.end.or_else(|| {
            self.last_seen
                .get(&(r.id.clone(), r.route_code.clone()))
                .copied()
        });
        if !matches!(
            r.status,
            Some(Status::Success | Status::Skip | Status::XFail | Status::UxSuccess)
        ) {
            // stestr rewrites the failing file from its own replay of the run, where a test
            // that never finished ends at its last event. A test without times is replayed at
            // the time current before it (or python's wall clock when there is none yet).
            let now = || {
                let t = Timestamp::now();
                Timestamp::new(t.secs, t.nanos / 1000 * 1000)
            };
            let start = r.start.or(before).unwrap_or_else(now);
            let end = end.or(Some(start));
            let timed = TestRecord {
                start: Some(start),
                end,
                ..r.clone()
            };
            self.failing.push(Outcome::Fail(Box::new(replay(&timed)?)));
        } else {
            self.failing.push(Outcome::Other(r.id.clone()));
        }
        if let (Some(s), Some(e), Some(times)) = (r.start, end, self.times.as_mut()) {
            let secs = (e.python_micros() as i64 - s.python_micros() as i64) as f64 / 1e6;
            times.insert(cleanup_test_name(&r.id).into_owned(), py_float_repr(secs));
        }
        Ok(())
    }
}

/// The record as python gets it back from the v1 text of it (MIME types normalised again,
/// as in the failing file stestr writes from its replay of the run).
fn replay(r: &TestRecord) -> io::Result<TestRecord> {
    let mut w = V1Writer::new(Vec::new());
    w.record(r)?;
    let text = w.into_inner();
    let mut fold = Fold::new();
    for packet in V1Reader::new(&text[..]) {
        let packet =
            packet.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        if let Some(done) = fold.push(&packet.as_ref()) {
            return Ok(done);
        }
    }
    Ok(r.clone())
}

/// Whether the stream at `path` is v2 (its first byte the v2 signature `0xB3`).
fn is_v2(path: &Path) -> Result<bool, StoreError> {
    let mut first = [0u8; 1];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut first))
        .map_err(StoreError::io(path))?;
    Ok(n == 1 && first[0] == 0xB3)
}

/// Feeds `f` the events of the stored stream at `path`, v1 or v2.
fn read_stream(
    path: &Path,
    mut f: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
) -> Result<(), StoreError> {
    let file = File::open(path).map_err(StoreError::io(path))?;
    if is_v2(path)? {
        return python_events(file, |ev| -> Result<(), StoreError> { Ok(f(ev)?) }).map_err(|e| {
            match e {
                StoreError::Read { source, .. } => StoreError::Read {
                    path: path.to_path_buf(),
                    source,
                },
                e => e,
            }
        });
    }
    let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(256 * 1024, file));
    for packet in V1Reader::new(reader) {
        let packet = packet.map_err(|source| match source {
            V1Error::Read(e) => StoreError::io(path)(e),
            source => StoreError::V1 {
                path: path.to_path_buf(),
                source,
            },
        })?;
        f(&packet.as_ref())?;
    }
    Ok(())
}

fn copy_as_v2(path: &Path, mut out: impl Write) -> Result<(), StoreError> {
    let mut file = File::open(path).map_err(StoreError::io(path))?;
    if is_v2(path)? {
        io::copy(&mut file, &mut out)?;
        return Ok(out.flush()?);
    }
    subunit_sinks::convert::v1_to_v2(BufReader::new(file), out).map_err(|e| match e {
        subunit_sinks::Error::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
            StoreError::io(path)(e)
        }
        subunit_sinks::Error::Io(e) => StoreError::Output(e),
        other => StoreError::Output(io::Error::other(other.to_string())),
    })?;
    Ok(())
}

#[cfg(test)]
mod times_tests {
    use super::*;

    #[test]
    fn the_times_a_store_records_are_found() {
        use subunit_emitter::{Packet, Status, Timestamp};
        use subunit_sinks::trace::TimesDb;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path()).unwrap();
        let mut stream = Vec::new();
        for p in [
            Packet::status("pkg.t[smoke]", Status::InProgress)
                .with_timestamp(Timestamp::new(10, 0)),
            Packet::status("pkg.t[smoke]", Status::Success)
                .with_timestamp(Timestamp::new(11, 250_000_000)),
        ] {
            stream.extend(subunit_emitter::to_vec(&p.as_ref()).unwrap());
        }
        store
            .load(vec![("-".into(), &stream[..])], None, |_| Ok(()))
            .unwrap();
        let db = TimesDb::discover(dir.path()).unwrap().unwrap();
        assert_eq!(db.get("pkg.t[smoke]"), Some(1.25));
        assert_eq!(
            TimesDb::from_entries(store.times().unwrap()).get("pkg.t"),
            Some(1.25)
        );
    }
}
