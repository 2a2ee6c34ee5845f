//! The history database: one SQLite file (bundled SQLite, WAL) in the data folder. Every call
//! blocks; the server calls it from its model and job threads, or through `spawn_blocking`.

use super::schema;
use crate::intake::clean::Article;
use app::api::{Flag, HistoryEntry, JobEvent, JobStatus, Term};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The file's name inside the data folder.
pub const FILE_NAME: &str = "passerelle.db";

/// How long a write waits for another connection (the command line reading the history while
/// the server writes) before it is reported as locked.
const BUSY_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data folder {path}: {source}. Choose another folder with --data-dir (PASSERELLE_DATA_DIR), or run with --no-history")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the history database {path} is locked by another program (another passerelle using the same data folder?). Stop it, choose another folder with --data-dir, or run with --no-history")]
    Locked { path: PathBuf },
    #[error("the history database {path} cannot be written (a read-only file or folder). Fix its permissions, choose another folder with --data-dir, or run with --no-history")]
    ReadOnly { path: PathBuf },
    #[error("{path} is not a Passerelle history database, or it is damaged; it was left untouched. Move it away to start a new history, or run with --no-history")]
    Corrupt { path: PathBuf },
    #[error("the history database {path} was written by a newer Passerelle (schema {found}; this one knows up to {known}); it was left untouched. Update Passerelle, or choose another folder with --data-dir")]
    Newer {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error(
        "the disk holding {path} is full: {what} could not be saved. Free some space and try again"
    )]
    Full { path: PathBuf, what: &'static str },
    #[error("the history database {path} failed while {what}: {source}")]
    Sqlite {
        path: PathBuf,
        what: &'static str,
        source: rusqlite::Error,
    },
    #[error("the history database {path} could not be brought up to date: {source}. It was left as it was; run with --no-history meanwhile")]
    Migration {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error(
        "the history database {path} holds a record this Passerelle cannot read ({what}): {source}"
    )]
    Record {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
}

/// Reads SQLite's error codes into what the reader can act on.
fn classify(path: &Path, what: &'static str, err: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path },
        Some(ErrorCode::DiskFull) => StoreError::Full { path, what },
        _ => StoreError::Sqlite {
            path,
            what,
            source: err,
        },
    }
}

/// A job as it was kept: enough to rebuild it exactly.
#[derive(Debug, Clone)]
pub struct StoredJob {
    pub id: String,
    pub created_at: i64,
    pub article: Article,
    pub events: Vec<JobEvent>,
    /// Whether the job writes a summary after its English.
    pub summarize: bool,
    /// The API key's owner that sent it ([`Owner`]), when keys are in use.
    pub owner: Option<String>,
}

/// What a new job's row holds.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub id: &'a str,
    pub paste: &'a str,
    /// Lines the reader put back after an earlier cleaning.
    pub kept: &'a [String],
    pub article: &'a Article,
    /// Whether the job writes a summary after its English (texts sent through the other
    /// protocols are only translated).
    pub summarize: bool,
    /// Who sent it, when the server asks for API keys.
    pub owner: Option<&'a str>,
}

/// Which model and prompts wrote a job: a translation is reused only under the same ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub model_name: String,
    pub model_sha256: String,
    pub prompt_version: String,
}

pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the history in `dir`, readable by its owner only, and brings its
    /// schema up to date. A file it cannot use is reported, never reset.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir).map_err(|source| StoreError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        create_private_file(&path).map_err(|source| StoreError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open_file(&path)
    }

    /// Opens the file at `path` as it is (tests use it to stop short of the newest schema).
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        let fail = |what| move |err| classify(path, what, err);
        let mut conn = Connection::open(path).map_err(fail("opening"))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail("opening"))?;
        // The first read of the file: a file that is not a database fails here.
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(fail("reading its version"))?;
        let found = usize::try_from(found).unwrap_or(usize::MAX);
        if found > schema::VERSION {
            return Err(StoreError::Newer {
                path: path.to_path_buf(),
                found,
                known: schema::VERSION,
            });
        }
        // SQLite opens a file it may not write read-only, without an error.
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(fail("opening"))?
        {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail("setting it up"))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(fail("setting it up"))?;
        // Takes the write lock once: a locked or read-only file is reported now, at start.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(fail("checking that it can be written"))?;
        schema::migrations()
            .to_latest(&mut conn)
            .map_err(|err| match err {
                rusqlite_migration::Error::RusqliteError { err, .. } => {
                    classify(path, "updating its schema", err)
                }
                other => StoreError::Migration {
                    path: path.to_path_buf(),
                    source: other,
                },
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A poisoned lock means a panic while a statement ran; SQLite rolled the statement back,
    /// so the connection is still sound.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |err| classify(&self.path, what, err)
    }

    fn json<T: serde::Serialize>(&self, value: &T) -> String {
        // Plain data types of this crate: their serialization cannot fail.
        serde_json::to_string(value).unwrap_or_default()
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        text: &str,
        what: &'static str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|source| StoreError::Record {
            path: self.path.clone(),
            what,
            source,
        })
    }

    /// Keeps a new job, before any of its events.
    pub fn create(&self, job: &NewJob<'_>) -> Result<(), StoreError> {
        let article = self.json(&StoredArticle::from(job.article));
        self.conn()
            .execute(
                "INSERT INTO jobs (id, created_at, title, paragraphs, paste, kept, article, status, summarize, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9)",
                params![
                    job.id,
                    now(),
                    title(job.article),
                    job.article.paragraphs.len() as i64,
                    job.paste,
                    self.json(&job.kept),
                    article,
                    job.summarize,
                    job.owner,
                ],
            )
            .map_err(self.fail("keeping the new article"))?;
        Ok(())
    }

    /// Records which model and prompts write the job (when it starts).
    pub fn started(&self, id: &str, writer: &Writer) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE jobs SET model_name = ?2, model_sha256 = ?3, prompt_version = ?4 WHERE id = ?1",
                params![id, writer.model_name, writer.model_sha256, writer.prompt_version],
            )
            .map_err(self.fail("recording the model"))?;
        Ok(())
    }

    /// Appends event `number` of job `id`, and what it finishes (a paragraph's English with its
    /// normalized French `french_key`, the summary, the status), in one transaction.
    pub fn append(
        &self,
        id: &str,
        number: usize,
        event: &JobEvent,
        french_key: Option<&str>,
    ) -> Result<(), StoreError> {
        let fail = self.fail("saving the article's progress");
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(&fail)?;
        tx.execute(
            "INSERT INTO events (job_id, id, event) VALUES (?1, ?2, ?3)",
            params![id, number as i64, self.json(event)],
        )
        .map_err(&fail)?;
        let status = |status: JobStatus| {
            tx.execute(
                "UPDATE jobs SET status = ?2 WHERE id = ?1 AND status != ?2",
                params![id, status_name(status)],
            )
        };
        match event {
            JobEvent::TranslationDelta { .. } | JobEvent::SummaryDelta { .. } => {
                status(JobStatus::Running).map_err(&fail)?;
            }
            JobEvent::Queued { .. } | JobEvent::Resumed {} => {
                status(JobStatus::Queued).map_err(&fail)?;
            }
            JobEvent::TranslationDone {
                paragraph,
                text,
                flags,
                ..
            } => {
                if let Some(key) = french_key {
                    tx.execute(
                        "INSERT OR REPLACE INTO translations (job_id, paragraph, french_key, english, flags)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![id, *paragraph as i64, key, text, self.json(flags)],
                    )
                    .map_err(&fail)?;
                }
            }
            JobEvent::SummaryDone { text, flags } => {
                tx.execute(
                    "UPDATE jobs SET summary = ?2, summary_flags = ?3 WHERE id = ?1",
                    params![id, text, self.json(flags)],
                )
                .map_err(&fail)?;
            }
            JobEvent::Done(figures) => {
                tx.execute(
                    "UPDATE jobs SET status = 'done', figures = ?2 WHERE id = ?1",
                    params![id, self.json(figures)],
                )
                .map_err(&fail)?;
            }
            JobEvent::Error { .. } => {
                status(JobStatus::Failed).map_err(&fail)?;
            }
            JobEvent::Cancelled {} => {
                status(JobStatus::Cancelled).map_err(&fail)?;
            }
            // Kept in the log; they change nothing that is kept beside it.
            JobEvent::TranslationRestart { .. }
            | JobEvent::SummaryRestart {}
            | JobEvent::Waiting { .. } => {}
        }
        tx.commit().map_err(&fail)
    }

    /// The job with its whole event log, or `None` when there is no such job.
    pub fn load(&self, id: &str) -> Result<Option<StoredJob>, StoreError> {
        let fail = self.fail("reading an article");
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT created_at, article, summarize, owner FROM jobs WHERE id = ?1",
                [id],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, bool>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(&fail)?;
        let Some((created_at, article, summarize, owner)) = row else {
            return Ok(None);
        };
        let article: StoredArticle = self.parse(&article, "an article")?;
        let mut statement = conn
            .prepare("SELECT event FROM events WHERE job_id = ?1 ORDER BY id")
            .map_err(&fail)?;
        let texts = statement
            .query_map([id], |row| row.get::<_, String>(0))
            .map_err(&fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&fail)?;
        let events = texts
            .iter()
            .map(|text| self.parse(text, "an event"))
            .collect::<Result<Vec<JobEvent>, _>>()?;
        Ok(Some(StoredJob {
            id: id.to_string(),
            created_at,
            article: article.into(),
            events,
            summarize,
            owner,
        }))
    }

    /// Jobs that were waiting or running when the server stopped, oldest first.
    pub fn unfinished(&self) -> Result<Vec<String>, StoreError> {
        let fail = self.fail("looking for unfinished articles");
        let conn = self.conn();
        let mut statement = conn
            .prepare(
                "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid",
            )
            .map_err(&fail)?;
        let ids = statement
            .query_map([], |row| row.get(0))
            .map_err(&fail)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(&fail)?;
        Ok(ids)
    }

    /// The kept articles, newest first; with `words`, only those whose title holds every one
    /// (case-insensitive for ASCII letters, as SQLite's `LIKE`); with an `owner`, only that
    /// owner's.
    pub fn list(&self, words: &str, owner: Option<&str>) -> Result<Vec<HistoryEntry>, StoreError> {
        let fail = self.fail("listing the history");
        let mut sql =
            String::from("SELECT id, title, created_at, paragraphs, status FROM jobs WHERE 1 = 1");
        let mut values: Vec<String> = words
            .split_whitespace()
            .map(|w| format!("%{}%", escape_like(w)))
            .collect();
        for i in 1..=values.len() {
            sql.push_str(&format!(" AND title LIKE ?{i} ESCAPE '\\'"));
        }
        if let Some(owner) = owner {
            values.push(owner.to_string());
            sql.push_str(&format!(" AND owner = ?{}", values.len()));
        }
        sql.push_str(" ORDER BY created_at DESC, rowid DESC");
        let conn = self.conn();
        let mut statement = conn.prepare(&sql).map_err(&fail)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(&values), |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .map_err(&fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&fail)?;
        rows.into_iter()
            .map(|(id, title, created_at, paragraphs, status)| {
                Ok(HistoryEntry {
                    id,
                    title,
                    created_at,
                    paragraphs: paragraphs.max(0) as usize,
                    status: self.parse(&format!("\"{status}\""), "a status")?,
                })
            })
            .collect()
    }

    /// Deletes one article with its events and English; false if there was none.
    pub fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let deleted = self
            .conn()
            .execute("DELETE FROM jobs WHERE id = ?1", [id])
            .map_err(self.fail("deleting an article"))?;
        Ok(deleted > 0)
    }

    /// Deletes every article (with an `owner`, every one of that owner's); returns how many
    /// there were.
    pub fn clear(&self, owner: Option<&str>) -> Result<usize, StoreError> {
        let conn = self.conn();
        let deleted = match owner {
            Some(owner) => conn.execute("DELETE FROM jobs WHERE owner = ?1", [owner]),
            None => conn.execute("DELETE FROM jobs", []),
        }
        .map_err(self.fail("deleting the history"))?;
        // Gives the space back: a deleted history should not linger in free pages.
        conn.execute_batch("VACUUM;")
            .map_err(self.fail("deleting the history"))?;
        Ok(deleted)
    }

    /// The reader's glossary, in its order.
    pub fn glossary(&self) -> Result<Vec<Term>, StoreError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT french, english FROM glossary ORDER BY position")
            .map_err(self.fail("reading the glossary"))?;
        let rows = statement
            .query_map([], |row| {
                Ok(Term {
                    french: row.get(0)?,
                    english: row.get(1)?,
                })
            })
            .map_err(self.fail("reading the glossary"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.fail("reading the glossary"))
    }

    /// Replaces the whole glossary by `terms`, in one transaction.
    pub fn set_glossary(&self, terms: &[Term]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.fail("saving the glossary"))?;
        tx.execute("DELETE FROM glossary", [])
            .map_err(self.fail("saving the glossary"))?;
        for (position, term) in terms.iter().enumerate() {
            tx.execute(
                "INSERT INTO glossary (position, french, english) VALUES (?1, ?2, ?3)",
                params![position as i64, term.french, term.english],
            )
            .map_err(self.fail("saving the glossary"))?;
        }
        tx.commit().map_err(self.fail("saving the glossary"))
    }

    /// The newest final English of a paragraph with the same normalized French, written by the
    /// same model and prompts, with its flags.
    pub fn recall(
        &self,
        french_key: &str,
        writer: &Writer,
    ) -> Result<Option<(String, Vec<Flag>)>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT t.english, t.flags FROM translations t JOIN jobs j ON j.id = t.job_id
                 WHERE t.french_key = ?1 AND j.model_sha256 = ?2 AND j.prompt_version = ?3
                 ORDER BY j.created_at DESC, j.rowid DESC LIMIT 1",
                params![french_key, writer.model_sha256, writer.prompt_version],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(self.fail("looking up the translation memory"))?;
        row.map(|(english, flags)| Ok((english, self.parse(&flags, "flags")?)))
            .transpose()
    }
}

/// The article as kept in its row.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredArticle {
    paragraphs: Vec<app::api::Paragraph>,
    removed: Vec<app::api::Removed>,
}

impl From<&Article> for StoredArticle {
    fn from(article: &Article) -> Self {
        Self {
            paragraphs: article.paragraphs.clone(),
            removed: article.removed.clone(),
        }
    }
}

impl From<StoredArticle> for Article {
    fn from(stored: StoredArticle) -> Self {
        Self {
            paragraphs: stored.paragraphs,
            removed: stored.removed,
        }
    }
}

fn status_name(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Done => "done",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "cancelled",
    }
}

/// The title a history entry shows: the article's first line, cut at a word near 90 characters.
pub fn title(article: &Article) -> String {
    const LONGEST: usize = 90;
    let first = article
        .paragraphs
        .first()
        .map(|p| p.text.lines().next().unwrap_or_default().trim())
        .unwrap_or_default();
    if first.chars().count() <= LONGEST {
        return first.to_string();
    }
    let cut: String = first.chars().take(LONGEST).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Creates the data folder (and its parents) readable by its owner only, if it is not there:
/// whatever is kept in it first (the history, the engine's pace), it is private.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates the file empty, readable and writable by its owner only, if it is not there; SQLite
/// would create it with the process's default permissions.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::clean::clean;
    use app::api::{Figures, FlagKind};
    use std::sync::Arc;

    fn article() -> Article {
        clean("La réunion du conseil\n\nLe maire a parlé mardi.\n\nLe budget est voté.")
    }

    fn writer(sha: &str) -> Writer {
        Writer {
            model_name: "tiny".into(),
            model_sha256: sha.into(),
            prompt_version: "prompts 1".into(),
        }
    }

    fn keep(store: &Store, id: &str) {
        store
            .create(&NewJob {
                id,
                paste: "La réunion du conseil…",
                kept: &[],
                article: &article(),
                summarize: true,
                owner: None,
            })
            .expect("create");
    }

    fn done(paragraph: usize, text: &str) -> JobEvent {
        JobEvent::TranslationDone {
            paragraph,
            text: text.into(),
            flags: vec![Flag {
                kind: FlagKind::Date,
                source: "mardi".into(),
                english: None,
                message: "“mardi” is not in the English.".into(),
            }],
            from_memory: false,
        }
    }

    #[test]
    fn a_new_history_is_private_and_at_the_newest_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let store = Store::open(&data).expect("open");
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, schema::VERSION as i64);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode(&data), 0o700);
            assert_eq!(mode(&data.join(FILE_NAME)), 0o600);
        }
    }

    #[test]
    fn events_are_kept_in_order_with_what_they_finish() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        keep(&store, "a");
        let events = [
            JobEvent::Queued { position: 1 },
            JobEvent::TranslationDelta {
                paragraph: 0,
                text: "The council".into(),
            },
            done(0, "The council meeting"),
            JobEvent::SummaryDone {
                text: "A meeting.".into(),
                flags: Vec::new(),
            },
            JobEvent::Done(Figures {
                seconds: 2.0,
                ..Figures::default()
            }),
        ];
        for (i, e) in events.iter().enumerate() {
            store
                .append("a", i + 1, e, Some("La réunion du conseil"))
                .expect("append");
        }
        let stored = store.load("a").expect("load").expect("kept");
        assert_eq!(stored.events, events);
        assert_eq!(stored.article.paragraphs, article().paragraphs);
        let figures: String = store
            .conn()
            .query_row("SELECT figures FROM jobs WHERE id = 'a'", [], |r| r.get(0))
            .expect("figures kept");
        assert_eq!(
            serde_json::from_str::<Figures>(&figures)
                .map(|f| f.seconds)
                .ok(),
            Some(2.0)
        );
        let list = store.list("", None).expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, JobStatus::Done);
        assert_eq!(list[0].title, "La réunion du conseil");
        assert_eq!(list[0].paragraphs, 3);
        assert!(store.unfinished().expect("unfinished").is_empty());
        assert!(store.load("missing").expect("load").is_none());
        // An event number is written once: a second writer of the same number fails loudly.
        assert!(store.append("a", 1, &events[0], None).is_err());
    }

    #[test]
    fn unfinished_jobs_are_found_oldest_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        for id in ["first", "second", "third"] {
            keep(&store, id);
        }
        store
            .append("second", 1, &JobEvent::Cancelled {}, None)
            .expect("append");
        store
            .append(
                "third",
                1,
                &JobEvent::TranslationDelta {
                    paragraph: 0,
                    text: "x".into(),
                },
                None,
            )
            .expect("append");
        assert_eq!(
            store.unfinished().expect("unfinished"),
            vec!["first", "third"]
        );
    }

    #[test]
    fn the_memory_returns_english_written_by_the_same_model_and_prompts_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        keep(&store, "a");
        store.started("a", &writer("sha-1")).expect("started");
        store
            .append(
                "a",
                1,
                &done(1, "The mayor spoke."),
                Some("Le maire a parlé mardi."),
            )
            .expect("append");
        let (english, flags) = store
            .recall("Le maire a parlé mardi.", &writer("sha-1"))
            .expect("recall")
            .expect("remembered");
        assert_eq!(english, "The mayor spoke.");
        assert_eq!(flags.len(), 1, "the flags come back with the English");
        assert!(store
            .recall("Le maire a parlé mardi.", &writer("sha-2"))
            .expect("recall")
            .is_none());
        assert!(store
            .recall("Le maire a parlé jeudi.", &writer("sha-1"))
            .expect("recall")
            .is_none());
        // Deleting the article deletes what the memory learnt from it.
        assert!(store.delete("a").expect("delete"));
        assert!(!store.delete("a").expect("delete again"));
        assert!(store
            .recall("Le maire a parlé mardi.", &writer("sha-1"))
            .expect("recall")
            .is_none());
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 0, "events go with their article");
    }

    #[test]
    fn the_history_is_searched_by_title_words_and_cleared() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        keep(&store, "a");
        store
            .create(&NewJob {
                id: "b",
                paste: "",
                kept: &[],
                article: &clean("Le 100% du budget_2026 voté\n\nTexte."),
                summarize: false,
                owner: Some("alice"),
            })
            .expect("create");
        let ids = |words: &str| -> Vec<String> {
            store
                .list(words, None)
                .expect("list")
                .into_iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(ids(""), vec!["b", "a"], "newest first");
        assert_eq!(
            ids("RÉUNION conseil"),
            Vec::<String>::new(),
            "SQLite folds ASCII case only"
        );
        assert_eq!(ids("réunion CONSEIL"), vec!["a"]);
        assert_eq!(
            ids("conseil budget"),
            Vec::<String>::new(),
            "every word must be there"
        );
        assert_eq!(ids("100%"), vec!["b"]);
        assert_eq!(ids("budget_2026"), vec!["b"]);
        assert_eq!(
            ids("du_budget"),
            Vec::<String>::new(),
            "_ is a letter, not a wildcard"
        );
        assert_eq!(store.clear(None).expect("clear"), 2);
        assert!(ids("").is_empty());
    }

    #[test]
    fn an_owner_lists_and_clears_only_its_own_articles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        keep(&store, "nobody's");
        for (id, owner) in [("a1", "alice"), ("b1", "bob"), ("a2", "alice")] {
            store
                .create(&NewJob {
                    id,
                    paste: "",
                    kept: &[],
                    article: &article(),
                    summarize: false,
                    owner: Some(owner),
                })
                .expect("create");
        }
        let ids = |owner: Option<&str>| -> Vec<String> {
            let entries = store.list("", owner).expect("list");
            entries.into_iter().map(|e| e.id).collect()
        };
        assert_eq!(ids(Some("alice")), vec!["a2", "a1"]);
        assert_eq!(ids(Some("bob")), vec!["b1"]);
        assert_eq!(ids(None).len(), 4);
        let loaded = store.load("b1").expect("load").expect("kept");
        assert_eq!(
            (loaded.owner.as_deref(), loaded.summarize),
            (Some("bob"), false)
        );
        assert_eq!(store.clear(Some("alice")).expect("clear"), 2);
        assert_eq!(ids(None), vec!["b1", "nobody's"]);
    }

    #[test]
    fn a_file_of_the_previous_schema_is_brought_up_to_date_with_its_articles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        {
            let mut conn = Connection::open(&path).expect("open");
            schema::migrations()
                .to_version(&mut conn, 1)
                .expect("schema 1");
            conn.execute(
                "INSERT INTO jobs (id, created_at, title, paragraphs, paste, kept, article, status)
                 VALUES ('old', 1, 'Un vieil article', 1, '', '[]', ?1, 'done')",
                [serde_json::to_string(&StoredArticle::from(&article())).expect("json")],
            )
            .expect("insert");
        }
        let store = Store::open_file(&path).expect("migrate");
        assert_eq!(store.list("vieil", None).expect("list").len(), 1);
        keep(&store, "new");
        store.started("new", &writer("s")).expect("started");
        store
            .append("new", 1, &done(0, "x"), Some("key"))
            .expect("the new table is there");
        assert!(store.recall("key", &writer("s")).expect("recall").is_some());
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        Connection::open(&path)
            .and_then(|c| c.execute_batch("PRAGMA user_version = 99;"))
            .expect("newer file");
        let err = Store::open_file(&path).expect_err("refused");
        assert!(matches!(err, StoreError::Newer { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer Passerelle"), "{err}");
        let version: i64 = Connection::open(&path)
            .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .expect("read");
        assert_eq!(version, 99);
    }

    #[test]
    fn a_damaged_file_is_reported_and_never_reset() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        let junk = b"these are someone's notes, not a database\n".repeat(200);
        std::fs::write(&path, &junk).expect("write");
        let err = Store::open(dir.path()).expect_err("refused");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("left untouched"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), junk);
    }

    #[test]
    fn a_locked_file_is_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(Store::open(dir.path()).expect("create"));
        let holder = Connection::open(dir.path().join(FILE_NAME)).expect("open");
        holder.execute_batch("BEGIN EXCLUSIVE;").expect("lock");
        let err = Store::open(dir.path()).expect_err("refused");
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(
            err.to_string().contains("locked by another program"),
            "{err}"
        );
    }

    #[test]
    fn sqlite_failures_become_errors_that_say_what_to_do() {
        let failure = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        let path = Path::new("/data/passerelle.db");
        let read_only = classify(path, "saving", failure(rusqlite::ffi::SQLITE_READONLY));
        assert!(matches!(read_only, StoreError::ReadOnly { .. }));
        assert!(read_only.to_string().contains("--no-history"));
        let full = classify(path, "the article", failure(rusqlite::ffi::SQLITE_FULL));
        assert!(matches!(full, StoreError::Full { .. }));
        assert!(full.to_string().contains("Free some space"));
        assert!(matches!(
            classify(path, "x", failure(rusqlite::ffi::SQLITE_BUSY)),
            StoreError::Locked { .. }
        ));
        assert!(matches!(
            classify(path, "x", failure(rusqlite::ffi::SQLITE_CORRUPT)),
            StoreError::Corrupt { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_reported() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        drop(Store::open(dir.path()).expect("create"));
        let path = dir.path().join(FILE_NAME);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        if std::fs::OpenOptions::new().write(true).open(&path).is_ok() {
            // Run as root, file permissions do not bind; SQLite's own read-only mode stands in.
            let conn =
                Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .expect("open read-only");
            let err = conn
                .execute_batch("CREATE TABLE notes (text TEXT);")
                .expect_err("read-only");
            assert!(matches!(
                classify(&path, "x", err),
                StoreError::ReadOnly { .. }
            ));
            return;
        }
        let err = Store::open(dir.path()).expect_err("refused");
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    }

    #[test]
    fn a_full_disk_fails_the_write_clearly_and_the_history_stays_readable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        keep(&store, "a");
        // SQLite's page limit stands in for a full disk: it fails writes with SQLITE_FULL.
        store
            .conn()
            .execute_batch("PRAGMA max_page_count = 1;")
            .expect("limit");
        let big = JobEvent::TranslationDelta {
            paragraph: 0,
            text: "x".repeat(200_000),
        };
        let err = store.append("a", 1, &big, None).expect_err("full");
        assert!(matches!(err, StoreError::Full { .. }), "{err}");
        assert!(err.to_string().contains("disk holding"), "{err}");
        assert_eq!(store.list("", None).expect("still readable").len(), 1);
        // The job that could not be saved stops and says why.
        let job = crate::service::jobs::Job::kept(
            article(),
            Default::default(),
            "",
            &[],
            Arc::new(reopen(dir.path())),
        )
        .expect("a small row still fits");
        job.push(big);
        let snapshot = job.snapshot();
        assert_eq!(snapshot.status, JobStatus::Failed);
        let error = snapshot.error.expect("error");
        assert_eq!(error.code, "storage");
        assert!(error.message.contains("full"), "{}", error.message);
        assert!(job.cancel.is_cancelled());
    }

    /// A store on `dir` whose writes of more than a few pages fail as on a full disk.
    fn reopen(dir: &Path) -> Store {
        let store = Store::open(dir).expect("open");
        let pages: i64 = store
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .expect("pages");
        store
            .conn()
            .execute_batch(&format!("PRAGMA max_page_count = {};", pages + 2))
            .expect("limit");
        store
    }
}
