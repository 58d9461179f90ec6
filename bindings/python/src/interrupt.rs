//! Long calls without the GIL, interruptible with Ctrl-C.
//!
//! The work runs on a scoped worker thread while the calling thread, detached from the
//! interpreter, waits for it in short slices and checks for pending signals between them.
//! On Ctrl-C the work's [`Cancel`] token is cancelled, the worker is joined (operations stop
//! at their next check), and the `KeyboardInterrupt` is raised.

use parquetry::model::Cancel;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::mpsc;
use std::time::Duration;

/// How often the waiting thread looks for signals.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` with the GIL released and returns its value, or the Python exception of a
/// signal handler (`KeyboardInterrupt` for Ctrl-C) after cancelling the work.
pub fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Cancel) -> T + Send,
{
    let cancel = Cancel::new();
    py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let token = cancel.clone();
            let worker = scope.spawn(move || {
                let value = work(&token);
                // The receiver may be gone after an interrupt; the value is dropped then.
                let _ = done.send(());
                value
            });
            let mut interrupted = None;
            loop {
                match finished.recv_timeout(SIGNAL_POLL) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
                if interrupted.is_none()
                    && let Err(signal) = Python::attach(|py| py.check_signals())
                {
                    cancel.cancel();
                    interrupted = Some(signal);
                }
            }
            let value = worker.join().map_err(|_| {
                PyRuntimeError::new_err("internal error: the Parquetry worker thread panicked")
            })?;
            match interrupted {
                Some(signal) => Err(signal),
                None => Ok(value),
            }
        })
    })
}
