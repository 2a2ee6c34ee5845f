//! llama.cpp's llama-server, as `tools/llama-server.sh` builds it into `target/llama.cpp/`, run
//! on a free loopback port for the remote engine's tests, and killed when dropped.

use crate::support::PATIENCE;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// Positions each of the server's slots holds: the fixture models' whole context.
const SLOT_CONTEXT: usize = 2048;

pub struct LlamaServer {
    child: Option<Child>,
    pub port: u16,
    model: PathBuf,
    slots: usize,
    extra: Vec<String>,
    /// The server's log, shown when it fails to start.
    log_dir: TempDir,
}

/// The binary the test command builds (through `./setup.sh --for-tests`).
pub fn binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/llama.cpp/src/llama.cpp/build/bin/llama-server");
    assert!(
        path.is_file(),
        "llama-server is not built at {}; run tools/llama-server.sh (the test command does)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl LlamaServer {
    /// Serves `model` with `slots` sequences at once; waits until it answers.
    pub async fn start(model: &Path, slots: usize, extra: &[&str]) -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
            model: model.to_path_buf(),
            slots,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            log_dir: tempfile::tempdir().expect("a folder for the log"),
        };
        server.restart().await;
        server
    }

    /// The OpenAI-compatible base URL, as `--backend` takes it.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Starts it again on the same port (after [`Self::kill`]); waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(self.log_dir.path().join("llama-server.log"))
            .expect("the server's log");
        let child = Command::new(binary())
            .arg("-m")
            .arg(&self.model)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["-np", &self.slots.to_string()])
            .args(["-c", &(self.slots * SLOT_CONTEXT).to_string()])
            .args(["-t", "1"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start llama-server");
        self.child = Some(child);
        self.wait_until_ready().await;
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let health = client
                .get(format!("http://127.0.0.1:{}/health", self.port))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || tokio::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(self.log_dir.path().join("llama-server.log"))
                    .unwrap_or_default();
                let tail: String = log
                    .lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                panic!("llama-server did not start ({exited:?}):\n{tail}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process at once (as a crash would) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// How many of its slots are writing now (`GET /slots`).
    pub async fn busy_slots(&self) -> usize {
        let slots: serde_json::Value =
            reqwest::get(format!("http://127.0.0.1:{}/slots", self.port))
                .await
                .expect("GET /slots")
                .json()
                .await
                .expect("slots JSON");
        slots
            .as_array()
            .map(|s| s.iter().filter(|s| s["is_processing"] == true).count())
            .unwrap_or(0)
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        self.kill();
    }
}
