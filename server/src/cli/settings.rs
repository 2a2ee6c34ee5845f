//! Where things are: the models folder and the model file, from the flags and their defaults.

use crate::cli::{GlobalArgs, ServeArgs};
use crate::model_file::DEFAULT_MODEL;
use std::path::{Path, PathBuf};

impl GlobalArgs {
    pub fn models_dir(&self) -> PathBuf {
        self.models_dir.clone().unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_else(|| PathBuf::from(".cache"))
                .join("passerelle")
                .join("models")
        })
    }

    /// The model to load: `--model`, or the default model in the models folder.
    pub fn model_path(&self) -> PathBuf {
        self.model
            .clone()
            .unwrap_or_else(|| self.models_dir().join(DEFAULT_MODEL.file_name))
    }

    /// Where the history database lives.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from(".local/share"))
                .join("passerelle")
        })
    }

    /// Fails early, naming the command that fixes it, when the model file is not there.
    pub fn existing_model_path(&self) -> anyhow::Result<PathBuf> {
        let path = self.model_path();
        if path.is_file() {
            return Ok(path);
        }
        if self.model.is_some() {
            anyhow::bail!(
                "no model file at {}; check the --model path (or PASSERELLE_MODEL)",
                path.display()
            );
        }
        anyhow::bail!(
            "the default model is not in {}; run `passerelle models fetch` to download it (about 1.1 GB)",
            self.models_dir().display()
        )
    }
}

impl ServeArgs {
    /// `--site-dir`, or `site/` beside the folder of the binary: `target/release/passerelle`
    /// serves `target/site`, where the setup builds the page.
    pub fn site_dir(&self) -> PathBuf {
        self.site_dir.clone().unwrap_or_else(default_site_dir)
    }
}

pub fn default_site_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .and_then(Path::parent)
                .map(|dir| dir.join("site"))
        })
        .unwrap_or_else(|| PathBuf::from("target/site"))
}
