//! The inference servers and how a request picks one: the server its article already uses
//! (whose prompt cache holds the article's instructions and context), else the one with the
//! fewest requests in flight; servers that failed are tried last, so a request still reaches
//! them when nothing else answers.

use models::BackendState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::Semaphore;

/// One inference server.
pub(crate) struct Server {
    /// Its OpenAI-compatible base URL, without a trailing slash (`http://host:8089/v1`).
    pub url: String,
    /// Requests it may run for us at once (`--backend-parallel`); the rest wait here.
    pub slots: Arc<Semaphore>,
    in_flight: AtomicUsize,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    down_since: Option<SystemTime>,
    last_error: Option<String>,
}

impl Server {
    pub(crate) fn new(url: &str, parallel: usize) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            slots: Arc::new(Semaphore::new(parallel.max(1))),
            in_flight: AtomicUsize::new(0),
            health: Mutex::default(),
        }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_up(&self) -> bool {
        self.health().down_since.is_none()
    }

    pub(crate) fn mark_up(&self) {
        let mut health = self.health();
        if health.down_since.take().is_some() {
            tracing::info!(backend = %self.url, "the inference server answers again");
        }
    }

    pub(crate) fn mark_down(&self, why: &str) {
        let mut health = self.health();
        if health.down_since.is_none() {
            tracing::warn!(backend = %self.url, error = why, "the inference server is down");
            health.down_since = Some(SystemTime::now());
        }
        health.last_error = Some(why.to_string());
    }

    /// Notes a failure that says nothing of the server's health (it was busy: 429).
    pub(crate) fn note(&self, why: &str) {
        self.health().last_error = Some(why.to_string());
    }

    /// Counts a request as in flight on this server until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    pub(crate) fn state(&self) -> BackendState {
        let health = self.health();
        BackendState {
            url: self.url.clone(),
            up: health.down_since.is_none(),
            down_since: health.down_since,
            in_flight: self.in_flight.load(Ordering::Relaxed),
            last_error: health.last_error.clone(),
        }
    }
}

pub(crate) struct InFlight(Arc<Server>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The servers, and which one each article (group) uses.
pub(crate) struct Pool {
    pub servers: Vec<Arc<Server>>,
    chosen: Mutex<HashMap<u64, usize>>,
}

/// Articles remembered at most; past it the oldest choices are forgotten all at once (an
/// article that goes on then picks a server again, the least busy).
const REMEMBERED: usize = 4096;

impl Pool {
    pub(crate) fn new(urls: &[String], parallel: usize) -> Self {
        Self {
            servers: urls
                .iter()
                .map(|u| Arc::new(Server::new(u, parallel)))
                .collect(),
            chosen: Mutex::default(),
        }
    }

    fn chosen(&self) -> std::sync::MutexGuard<'_, HashMap<u64, usize>> {
        self.chosen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The servers in the order a request of `group` tries them.
    pub(crate) fn order(&self, group: u64) -> Vec<usize> {
        let sticky = self.chosen().get(&group).copied();
        let mut order: Vec<usize> = (0..self.servers.len()).collect();
        order.sort_by_key(|&i| {
            let server = &self.servers[i];
            let state = server.state();
            (
                !state.up,
                sticky != Some(i),
                state.in_flight,
                state.down_since,
            )
        });
        order
    }

    /// The article `group` stays on server `index` from now on.
    pub(crate) fn keep(&self, group: u64, index: usize) {
        let mut chosen = self.chosen();
        if chosen.len() >= REMEMBERED && !chosen.contains_key(&group) {
            chosen.clear();
        }
        chosen.insert(group, index);
    }

    pub(crate) fn states(&self) -> Vec<BackendState> {
        self.servers.iter().map(|s| s.state()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> Pool {
        let urls: Vec<String> = (0..n).map(|i| format!("http://127.0.0.1:{i}/v1")).collect();
        Pool::new(&urls, 2)
    }

    #[test]
    fn an_article_keeps_its_server_while_it_is_up() {
        let pool = pool(3);
        let _busy = pool.servers[0].enter();
        // The least busy first.
        assert_eq!(pool.order(7)[0], 1);
        pool.keep(7, 2);
        let _more = (pool.servers[2].enter(), pool.servers[2].enter());
        assert_eq!(pool.order(7)[0], 2, "busier, but the article's own");
        assert_eq!(pool.order(8)[0], 1, "another article takes the least busy");
        pool.servers[2].mark_down("connection refused");
        assert_eq!(pool.order(7), [1, 0, 2], "a server that failed comes last");
    }

    #[test]
    fn in_flight_counts_until_the_guard_goes_and_health_is_reported() {
        let pool = pool(1);
        let guard = pool.servers[0].enter();
        assert_eq!(pool.states()[0].in_flight, 1);
        drop(guard);
        assert_eq!(pool.states()[0].in_flight, 0);
        pool.servers[0].mark_down("503");
        let state = &pool.states()[0];
        assert!(!state.up && state.down_since.is_some());
        assert_eq!(state.last_error.as_deref(), Some("503"));
        pool.servers[0].mark_up();
        assert!(pool.states()[0].up);
    }
}
