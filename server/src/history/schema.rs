//! The history database's schema, one migration per version. A migration is never edited once
//! released: a file written by an older Passerelle is brought up to date step by step.

use rusqlite_migration::{Migrations, M};

/// Every version in order; the database's `user_version` is the number applied.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The newest schema this build writes.
pub const VERSION: usize = MIGRATIONS.len();

const MIGRATIONS: &[M<'static>] = &[
    // 1: articles and their event logs, from which a job is rebuilt exactly as it was read.
    M::up(
        "CREATE TABLE jobs (
            id TEXT PRIMARY KEY NOT NULL,
            created_at INTEGER NOT NULL,
            title TEXT NOT NULL,
            paragraphs INTEGER NOT NULL,
            paste TEXT NOT NULL,
            kept TEXT NOT NULL,
            article TEXT NOT NULL,
            status TEXT NOT NULL,
            model_name TEXT,
            model_sha256 TEXT,
            prompt_version TEXT,
            summary TEXT NOT NULL DEFAULT '',
            summary_flags TEXT NOT NULL DEFAULT '[]',
            figures TEXT
        );
        CREATE INDEX jobs_by_date ON jobs (created_at);
        CREATE TABLE events (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            id INTEGER NOT NULL,
            event TEXT NOT NULL,
            PRIMARY KEY (job_id, id)
        ) WITHOUT ROWID;",
    ),
    // 2: each paragraph's final English by its normalized French, for the translation memory.
    // Articles kept under version 1 still have their English in their event logs; the memory
    // starts with the articles read after the upgrade.
    M::up(
        "CREATE TABLE translations (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            paragraph INTEGER NOT NULL,
            french_key TEXT NOT NULL,
            english TEXT NOT NULL,
            flags TEXT NOT NULL,
            PRIMARY KEY (job_id, paragraph)
        );
        CREATE INDEX translations_by_french ON translations (french_key);",
    ),
    // 3: the reader's glossary, in the order it was written.
    M::up(
        "CREATE TABLE glossary (
            position INTEGER PRIMARY KEY NOT NULL,
            french TEXT NOT NULL UNIQUE,
            english TEXT NOT NULL
        );",
    ),
    // 4: texts sent through the other protocols (LibreTranslate, DeepL, OpenAI) are translated
    // without a summary; with API keys, each article belongs to the key that sent it. Articles
    // kept before summarized and belong to nobody in particular.
    M::up(
        "ALTER TABLE jobs ADD COLUMN summarize INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE jobs ADD COLUMN owner TEXT;
        CREATE INDEX jobs_by_owner ON jobs (owner, created_at);",
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_migrations_are_valid() {
        super::migrations().validate().expect("valid migrations");
        assert_eq!(super::VERSION, 4);
    }
}
