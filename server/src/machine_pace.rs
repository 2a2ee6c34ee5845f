//! The built-in engine's pace on this machine ([`models::Pace`]), measured once and kept in the
//! data folder (`pace.json`), so that every later start, and every article, reads the same
//! figures: how an article is cut into runs depends on them, and a paragraph's English must not
//! change from one start to the next. A new model file, CPU, thread count or engine kernels are
//! measured again.

use models::{Model, Pace};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file in the data folder.
const FILE: &str = "pace.json";

/// Where the pace comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PaceFrom {
    /// Measured on this machine the first time (about ten seconds on a slow machine), then
    /// read from the data folder.
    #[default]
    Measured,
    /// The figures of the README's reference machine, never measured: the same article is
    /// always cut the same way, whatever the machine (comparisons across machines).
    Typical,
}

/// What a pace was measured on: the same model file, CPU, threads and kernels read the same
/// figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Machine {
    /// The model file's name and size.
    model: String,
    cpu: String,
    threads: usize,
    /// [`models::engine_kernels`]; empty in a pace kept before they were written down, which
    /// then matches no start and is measured again.
    #[serde(default)]
    kernels: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    #[serde(flatten)]
    machine: Machine,
    /// Decode tokens per second, summed, for 1, 2, 4 and 8 sequences ([`models::pace::SEQUENCES`]).
    decode: [f64; 4],
    measured: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PaceFile {
    paces: Vec<Kept>,
}

impl PaceFile {
    /// The pace kept for `machine`, if any, refused if it is not one.
    fn pace_of(&self, machine: &Machine) -> Option<Result<Pace, models::pace::BadPace>> {
        self.paces
            .iter()
            .find(|k| k.machine == *machine)
            .map(|k| Pace::new(k.decode))
    }
}

#[derive(Debug, thiserror::Error)]
enum KeepError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a pace file ({source}); it is measured again and rewritten")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The pace to cut articles by: with [`PaceFrom::Measured`], the one kept in `data_dir` for this
/// model file and machine, or measured now (and kept) where there is none. Never fails: a pace
/// that cannot be measured or kept is logged, and the typical one (or the one just measured)
/// is used.
pub fn for_machine(from: PaceFrom, model: &Model, model_path: &Path, data_dir: &Path) -> Pace {
    if from == PaceFrom::Typical {
        return Pace::TYPICAL;
    }
    let machine = Machine {
        model: model_name(model_path),
        cpu: cpu_name(),
        threads: models::cpu_threads(),
        kernels: models::engine_kernels(),
    };
    let path = data_dir.join(FILE);
    let mut file = match read(&path) {
        Ok(file) => file,
        Err(err) => {
            tracing::warn!(error = %err, "the kept pace cannot be read");
            PaceFile::default()
        }
    };
    match file.pace_of(&machine) {
        Some(Ok(pace)) => {
            tracing::debug!(decode = ?pace.decode, "the engine's pace, as kept");
            return pace;
        }
        Some(Err(err)) => tracing::warn!(error = %err, path = %path.display(), "measuring again"),
        None => {}
    }
    tracing::info!(
        cpu = machine.cpu,
        threads = machine.threads,
        "measuring how fast the engine writes several sequences at once on this machine (once; kept in {})",
        path.display()
    );
    // Rounded: the file is read by people too.
    let pace = match model.measure_pace().map(|p| Pace::new(p.decode.map(round))) {
        Ok(Ok(pace)) => pace,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "articles are cut by the typical pace");
            return Pace::TYPICAL;
        }
        Err(err) => {
            tracing::warn!(error = %err, "the engine's pace could not be measured; articles are cut by the typical one");
            return Pace::TYPICAL;
        }
    };
    tracing::info!(decode = ?pace.decode, "measured: decode tokens/s summed for 1, 2, 4 and 8 sequences");
    file.paces.retain(|k| k.machine != machine);
    file.paces.push(Kept {
        machine: machine.clone(),
        decode: pace.decode,
        measured: now(),
    });
    // Read back, so that this start cuts articles by exactly the figures the next ones read.
    let kept = write(&path, &file)
        .and_then(|()| read(&path))
        .map(|file| file.pace_of(&machine).and_then(Result::ok));
    match kept {
        Ok(Some(kept)) => kept,
        Ok(None) => pace,
        Err(err) => {
            tracing::warn!(error = %err, "the measured pace is used but not kept; it will be measured again at the next start");
            pace
        }
    }
}

/// To a hundredth of a token per second.
fn round(rate: f64) -> f64 {
    (rate * 100.0).round() / 100.0
}

fn read(path: &Path) -> Result<PaceFile, KeepError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PaceFile::default()),
        Err(source) => {
            return Err(KeepError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text).map_err(|source| KeepError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// Written beside and renamed into place: a start that stops halfway leaves the old file.
fn write(path: &Path, file: &PaceFile) -> Result<(), KeepError> {
    let io = |action: &'static str, at: &Path| {
        let at = at.to_path_buf();
        move |source| KeepError::Io {
            action,
            path: at,
            source,
        }
    };
    if let Some(dir) = path.parent() {
        crate::history::create_private_dir(dir).map_err(io("create", dir))?;
    }
    let partial = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(file).map_err(|source| KeepError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(&partial, text).map_err(io("write", &partial))?;
    std::fs::rename(&partial, path).map_err(io("rename into", path))
}

fn model_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    format!("{name} ({size} bytes)")
}

/// The CPU's model name as Linux reports it; "unknown" elsewhere.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> (tempfile::TempDir, PathBuf, Model) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.gguf");
        models::fixtures::TinyModel::qwen2()
            .write(&path)
            .expect("write the tiny model");
        let model = Model::load(&path).expect("load the tiny model");
        (dir, path, model)
    }

    #[test]
    fn the_pace_is_measured_once_then_read_back() {
        let (dir, path, model) = tiny();
        let data = dir.path().join("data");
        let first = for_machine(PaceFrom::Measured, &model, &path, &data);
        let kept = read(&data.join(FILE)).expect("the pace was kept");
        assert_eq!(kept.paces.len(), 1);
        assert_eq!(kept.paces[0].decode, first.decode);
        // Changed on disk: a second start reads the file, not the engine.
        let mut file = kept;
        file.paces[0].decode = [1.0, 2.0, 3.0, 4.0];
        write(&data.join(FILE), &file).expect("rewritten");
        let second = for_machine(PaceFrom::Measured, &model, &path, &data);
        assert_eq!(second.decode, [1.0, 2.0, 3.0, 4.0]);
        // Another machine's entry is kept beside it, not read.
        file.paces[0].machine.cpu = "another CPU".to_string();
        write(&data.join(FILE), &file).expect("rewritten");
        let third = for_machine(PaceFrom::Measured, &model, &path, &data);
        assert_ne!(third.decode, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(read(&data.join(FILE)).expect("kept").paces.len(), 2);
    }

    /// Kernels that write faster cut articles into other runs: a pace kept by other kernels, or
    /// before the kernels were written down, is measured again and kept beside it.
    #[test]
    fn a_pace_kept_by_other_kernels_is_measured_again() {
        let (dir, path, model) = tiny();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data folder");
        let machine = Machine {
            model: model_name(&path),
            cpu: cpu_name(),
            threads: models::cpu_threads(),
            kernels: models::engine_kernels(),
        };
        let entry = |kernels: Option<&str>| {
            let mut e = serde_json::json!({
                "model": machine.model, "cpu": machine.cpu, "threads": machine.threads,
                "decode": [1.0, 2.0, 3.0, 4.0], "measured": "earlier",
            });
            if let Some(k) = kernels {
                e["kernels"] = k.into();
            }
            e
        };
        for kept in [entry(None), entry(Some("Portable kernels, revision 1"))] {
            let file = serde_json::json!({ "paces": [kept] });
            std::fs::write(data.join(FILE), file.to_string()).expect("kept pace");
            let pace = for_machine(PaceFrom::Measured, &model, &path, &data);
            assert_ne!(pace.decode, [1.0, 2.0, 3.0, 4.0]);
            let file = read(&data.join(FILE)).expect("kept");
            assert_eq!(file.paces.len(), 2);
            assert_eq!(file.paces[1].machine, machine);
        }
        // And this start's own kernels read what they kept.
        let kept = read(&data.join(FILE)).expect("kept").paces[1].decode;
        assert_eq!(
            for_machine(PaceFrom::Measured, &model, &path, &data).decode,
            kept
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_data_folder_made_for_the_pace_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, path, model) = tiny();
        let data = dir.path().join("new").join("data");
        for_machine(PaceFrom::Measured, &model, &path, &data);
        let mode = std::fs::metadata(&data).expect("made").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(data.join(FILE).is_file());
    }

    #[test]
    fn a_broken_or_impossible_kept_pace_is_measured_again() {
        let (dir, path, model) = tiny();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data folder");
        std::fs::write(data.join(FILE), "{ not json").expect("broken file");
        assert!(matches!(
            read(&data.join(FILE)),
            Err(KeepError::Parse { .. })
        ));
        let measured = for_machine(PaceFrom::Measured, &model, &path, &data);
        assert!(Pace::new(measured.decode).is_ok());
        let mut file = read(&data.join(FILE)).expect("rewritten whole");
        file.paces[0].decode = [0.0, 2.0, 3.0, 4.0];
        write(&data.join(FILE), &file).expect("rewritten");
        let again = for_machine(PaceFrom::Measured, &model, &path, &data);
        assert!(again.decode[0] > 0.0);
    }

    #[test]
    fn the_typical_pace_measures_nothing_and_keeps_nothing() {
        let (dir, path, model) = tiny();
        let data = dir.path().join("data");
        assert_eq!(
            for_machine(PaceFrom::Typical, &model, &path, &data),
            Pace::TYPICAL
        );
        assert!(!data.join(FILE).exists());
    }
}
