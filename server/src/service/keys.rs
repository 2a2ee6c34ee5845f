//! API keys (`--api-key-file`): who may use the server when it asks for keys, and what each key
//! has used. A key is compared with every kept key in constant time, and never logged: a key is
//! known by its owner, the label written beside it in the file, or else a short hash of it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("cannot read the API key file {path}: {source}. Check the --api-key-file path (PASSERELLE_API_KEY_FILE)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the API key file {path} holds no key. Write one key a line (a label may follow it after a space), or leave --api-key-file out")]
    Empty { path: PathBuf },
    #[error("the API key on line {line} of {path} is shorter than {MIN_KEY_CHARS} characters: a short key is easy to guess. Make it longer (for example `openssl rand -hex 24`)")]
    Short { path: PathBuf, line: usize },
    #[error(
        "the API key on line {line} of {path} is also on line {first}: each key must be different"
    )]
    Repeated {
        path: PathBuf,
        line: usize,
        first: usize,
    },
}

/// Why a request's key was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error("This server asks for an API key, and the request has none. Send the key its owner gave you (see the README's \"Keys\").")]
    Missing,
    #[error("The API key is not one this server knows. Check it, or ask whoever runs the server for one.")]
    Wrong,
}

/// Shortest key taken.
pub const MIN_KEY_CHARS: usize = 16;

/// What one key (or, without keys, everyone together) has asked of the server.
#[derive(Debug, Default)]
pub struct Usage {
    requests: AtomicU64,
    characters: AtomicU64,
}

impl Usage {
    /// One request of `characters` characters of text.
    pub fn count(&self, characters: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.characters
            .fetch_add(characters as u64, Ordering::Relaxed);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn characters(&self) -> u64 {
        self.characters.load(Ordering::Relaxed)
    }
}

/// Who is asking: the owner of the key they gave (none when the server asks for no keys), and
/// what that key has used.
#[derive(Debug, Clone)]
pub struct Caller {
    pub owner: Option<String>,
    pub usage: Arc<Usage>,
}

impl Caller {
    /// Counts one request of `characters` characters.
    pub fn count(&self, characters: usize) {
        self.usage.count(characters);
    }
}

struct Entry {
    key: Vec<u8>,
    owner: String,
    usage: Arc<Usage>,
}

/// The keys that may use the server; none means anyone may.
pub struct Keys {
    entries: Vec<Entry>,
    /// What everyone used, when the server asks for no keys.
    anyone: Arc<Usage>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let owners: Vec<&str> = self.entries.iter().map(|e| e.owner.as_str()).collect();
        f.debug_struct("Keys").field("owners", &owners).finish()
    }
}

impl Keys {
    /// No keys: anyone may use the server.
    pub fn open() -> Self {
        Self {
            entries: Vec::new(),
            anyone: Arc::default(),
        }
    }

    /// The keys in `path`: one a line, a label after the first space; blank lines and lines
    /// starting with `#` are left out.
    pub fn load(path: &Path) -> Result<Self, KeysError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeysError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, KeysError> {
        let mut entries: Vec<(usize, Entry)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, label) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if key.chars().count() < MIN_KEY_CHARS {
                return Err(KeysError::Short {
                    path: path.to_path_buf(),
                    line: i + 1,
                });
            }
            if let Some((first, _)) = entries.iter().find(|(_, e)| e.key == key.as_bytes()) {
                return Err(KeysError::Repeated {
                    path: path.to_path_buf(),
                    line: i + 1,
                    first: *first,
                });
            }
            let label = label.trim();
            let owner = if label.is_empty() {
                let hash = format!("{:x}", Sha256::digest(key.as_bytes()));
                format!("key {}", &hash[..8])
            } else {
                label.to_string()
            };
            entries.push((
                i + 1,
                Entry {
                    key: key.as_bytes().to_vec(),
                    owner,
                    usage: Arc::default(),
                },
            ));
        }
        if entries.is_empty() {
            return Err(KeysError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            entries: entries.into_iter().map(|(_, e)| e).collect(),
            anyone: Arc::default(),
        })
    }

    /// Whether the server asks for keys.
    pub fn required(&self) -> bool {
        !self.entries.is_empty()
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller that `given` makes: anyone when no keys are asked for; the key's owner when
    /// `given` is one of the keys; refused otherwise. Every kept key is compared, each in
    /// constant time, so the time taken tells nothing of how close a guess came.
    pub fn caller(&self, given: Option<&str>) -> Result<Caller, KeyRefusal> {
        if !self.required() {
            return Ok(Caller {
                owner: None,
                usage: Arc::clone(&self.anyone),
            });
        }
        let given = given.ok_or(KeyRefusal::Missing)?.trim().as_bytes();
        let mut found = None;
        for entry in &self.entries {
            if bool::from(entry.key.as_slice().ct_eq(given)) {
                found = Some(entry);
            }
        }
        found
            .map(|entry| Caller {
                owner: Some(entry.owner.clone()),
                usage: Arc::clone(&entry.usage),
            })
            .ok_or(KeyRefusal::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Result<Keys, KeysError> {
        Keys::parse(text, Path::new("keys.txt"))
    }

    #[test]
    fn a_key_is_known_by_its_label_or_a_hash_and_counted_apart() {
        let keys =
            keys("# the team\n0123456789abcdef0123 alice's laptop\n\nfedcba9876543210fedc\n")
                .expect("two keys");
        assert_eq!(keys.len(), 2);
        let alice = keys.caller(Some("0123456789abcdef0123")).expect("alice");
        assert_eq!(alice.owner.as_deref(), Some("alice's laptop"));
        let other = keys
            .caller(Some(" fedcba9876543210fedc "))
            .expect("the other");
        let owner = other.owner.clone().expect("an owner");
        assert!(owner.starts_with("key ") && owner.len() == 12, "{owner}");
        assert!(
            !owner.contains("fedcba"),
            "the key itself is never the name"
        );
        alice.count(10);
        alice.count(5);
        assert_eq!((alice.usage.requests(), alice.usage.characters()), (2, 15));
        assert_eq!(other.usage.requests(), 0);
    }

    #[test]
    fn a_wrong_or_missing_key_finds_nobody() {
        let keys = keys("0123456789abcdef0123 alice").expect("a key");
        assert_eq!(keys.caller(None).err(), Some(KeyRefusal::Missing));
        for wrong in ["0123456789abcdef012", "0123456789abcdef01234", ""] {
            assert_eq!(
                keys.caller(Some(wrong)).err(),
                Some(KeyRefusal::Wrong),
                "{wrong}"
            );
        }
    }

    #[test]
    fn without_keys_anyone_is_let_in_and_counted_together() {
        let open = Keys::open();
        assert!(!open.required());
        let a = open.caller(None).expect("anyone");
        let b = open.caller(Some("whatever")).expect("anyone");
        assert!(a.owner.is_none());
        a.count(3);
        assert_eq!(b.usage.characters(), 3);
    }

    #[test]
    fn short_repeated_or_no_keys_are_refused_with_the_line() {
        assert!(matches!(
            keys("short"),
            Err(KeysError::Short { line: 1, .. })
        ));
        assert!(matches!(
            keys("0123456789abcdef0123 a\n0123456789abcdef0123 b"),
            Err(KeysError::Repeated {
                line: 2,
                first: 1,
                ..
            })
        ));
        let err = keys("# nothing\n\n").expect_err("empty");
        assert!(matches!(err, KeysError::Empty { .. }));
        assert!(err.to_string().contains("one key a line"), "{err}");
    }
}
