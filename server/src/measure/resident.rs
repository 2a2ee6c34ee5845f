//! Peak resident memory of this process, for the figures the CLI and the benchmark print.
//! Read from `/proc/self/status` (`VmHWM`): no crate reports the peak, and it is four lines.

/// Peak resident set size in bytes, where the system reports it (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let peak = super::peak_rss_bytes().expect("VmHWM");
            assert!(
                peak > 1024 * 1024,
                "a running test binary uses more than 1 MiB"
            );
        }
    }
}
