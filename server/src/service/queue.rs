//! The bounded line of jobs waiting for the model. Each waiting job is told its place whenever
//! it changes; the worker thread blocks on [`Queue::pop`].

use crate::service::jobs::Job;
use app::api::JobEvent;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[derive(Debug)]
pub struct Queue {
    state: Mutex<State>,
    ready: Condvar,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    waiting: VecDeque<Arc<Job>>,
    closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("{0} jobs are already waiting for the model")]
    Full(usize),
    #[error("the server is shutting down")]
    Closed,
}

impl Queue {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            capacity,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a job at the back; it is told its position.
    pub fn push(&self, job: Arc<Job>) -> Result<usize, QueueError> {
        self.enqueue(job, true)
    }

    /// Adds a job that was already accepted before a restart, whatever the line's length.
    pub fn push_resumed(&self, job: Arc<Job>) {
        if let Err(err) = self.enqueue(Arc::clone(&job), false) {
            job.push(JobEvent::Error {
                code: "shutting_down".into(),
                message: format!("The article could not be resumed: {err}."),
            });
        }
    }

    fn enqueue(&self, job: Arc<Job>, bounded: bool) -> Result<usize, QueueError> {
        let mut st = self.state();
        if st.closed {
            return Err(QueueError::Closed);
        }
        if bounded && st.waiting.len() >= self.capacity {
            return Err(QueueError::Full(st.waiting.len()));
        }
        st.waiting.push_back(Arc::clone(&job));
        let position = st.waiting.len();
        job.push(JobEvent::Queued { position });
        drop(st);
        self.ready.notify_one();
        Ok(position)
    }

    /// Blocks until a job is waiting (returned) or the queue is closed (`None`).
    pub fn pop(&self) -> Option<Arc<Job>> {
        let mut st = self.state();
        loop {
            if st.closed {
                return None;
            }
            if let Some(job) = st.waiting.pop_front() {
                announce_positions(&st.waiting, 0);
                return Some(job);
            }
            st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Takes a job out of the line; false if it was not waiting (running or finished).
    pub fn remove(&self, id: &str) -> bool {
        let mut st = self.state();
        let Some(i) = st.waiting.iter().position(|j| j.id == id) else {
            return false;
        };
        st.waiting.remove(i);
        announce_positions(&st.waiting, i);
        true
    }

    /// Cancels a job wherever it is: out of the line at once (with its `cancelled` event), or
    /// stopped by the worker at its next token if it is running.
    pub fn cancel(&self, job: &Job) {
        job.cancel.cancel();
        if self.remove(&job.id) {
            job.push(JobEvent::Cancelled {});
        }
    }

    pub fn len(&self) -> usize {
        self.state().waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops the worker at its next `pop`; returns the jobs that were still waiting.
    pub fn close(&self) -> Vec<Arc<Job>> {
        let mut st = self.state();
        st.closed = true;
        let left = st.waiting.drain(..).collect();
        drop(st);
        self.ready.notify_all();
        left
    }
}

/// Tells the jobs from index `from` on their new place (the ones before it did not move).
fn announce_positions(waiting: &VecDeque<Arc<Job>>, from: usize) {
    for (i, job) in waiting.iter().enumerate().skip(from) {
        job.push(JobEvent::Queued { position: i + 1 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::clean::clean;

    fn job() -> Arc<Job> {
        Job::new(clean("Un paragraphe."))
    }

    fn positions(job: &Job) -> Vec<usize> {
        job.events_after(0)
            .0
            .into_iter()
            .filter_map(|(_, e)| match e {
                JobEvent::Queued { position } => Some(position),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn waiting_jobs_learn_their_new_place() {
        let queue = Queue::new(3);
        let (a, b, c) = (job(), job(), job());
        assert_eq!(queue.push(Arc::clone(&a)), Ok(1));
        assert_eq!(queue.push(Arc::clone(&b)), Ok(2));
        assert_eq!(queue.push(Arc::clone(&c)), Ok(3));
        assert_eq!(queue.push(job()), Err(QueueError::Full(3)));
        assert!(queue.remove(&b.id));
        assert!(!queue.remove(&b.id));
        assert_eq!(positions(&c), vec![3, 2]);
        assert_eq!(queue.pop().map(|j| j.id.clone()), Some(a.id.clone()));
        assert_eq!(positions(&c), vec![3, 2, 1]);
        assert_eq!(
            positions(&a),
            vec![1],
            "a job that moves to the model is not told a place"
        );
    }

    #[test]
    fn closing_wakes_the_worker_and_returns_the_waiting() {
        let queue = Arc::new(Queue::new(2));
        let worker = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.pop().is_none())
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        let left = queue.close();
        assert!(left.is_empty());
        assert!(worker.join().expect("worker thread"));
        assert_eq!(queue.push(job()), Err(QueueError::Closed));
    }
}
