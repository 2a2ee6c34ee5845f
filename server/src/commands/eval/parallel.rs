//! Work over many items with a few threads at once, so that the engine reads and writes their
//! prompts in the same steps: the evaluations' runs over paragraphs and articles.

use models::CancelToken;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `work(i, cancel)` for every `i` below `count`, `at_once` at a time, the results in order.
/// The first error cancels what is left and is returned; every `progress` results a line on
/// standard error counts them (`what`: "paragraphs").
pub(super) fn each<R: Send>(
    count: usize,
    at_once: usize,
    progress: usize,
    what: &str,
    work: impl Fn(usize, &CancelToken) -> anyhow::Result<R> + Sync,
) -> anyhow::Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let cancel = CancelToken::new();
    std::thread::scope(|scope| {
        for _ in 0..at_once.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || cancel.is_cancelled() {
                    break;
                }
                // A panic in one item is that item's error, not the whole run's silence.
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i, &cancel)))
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("the work on item {i} panicked")));
                match result {
                    Ok(r) => {
                        let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                        found.push((i, r));
                        if progress > 0 && found.len().is_multiple_of(progress) {
                            eprintln!("  {}/{count} {what}", found.len());
                        }
                    }
                    Err(e) => {
                        cancel.cancel();
                        failure
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_by_key(|(i, _)| *i);
    Ok(found.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_the_first_error_stops_the_rest() {
        let squares = each(20, 3, 0, "items", |i, _| Ok(i * i)).expect("no error");
        assert_eq!(squares, (0..20).map(|i| i * i).collect::<Vec<_>>());
        let failed = each(20, 3, 0, "items", |i, _| {
            anyhow::ensure!(i != 7, "item 7 fails");
            Ok(i)
        });
        assert!(failed.is_err_and(|e| e.to_string().contains("item 7")));
    }
}
