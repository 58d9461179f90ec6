//! A cancellation token shared between the caller of a long operation and the operation.
//!
//! The operation checks [`Cancel::is_cancelled`] at safe points (between batches of series,
//! between chunks of input lines) and stops with its own "cancelled" error; asynchronous
//! code can instead await [`Cancel::cancelled`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A cheap, clonable flag: once [`cancel`](Cancel::cancel) is called on any clone, every
/// clone reports cancelled. The default token is never cancelled unless told to be.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    flag: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl Cancel {
    /// A fresh token, not cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks every holder of this token to stop, and wakes tasks awaiting
    /// [`cancelled`](Cancel::cancelled).
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.0.wakers.lock().unwrap_or_else(|e| e.into_inner()));
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Whether [`cancel`](Cancel::cancel) has been called.
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// A future that completes once the token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled(self.clone())
    }
}

/// The future of [`Cancel::cancelled`].
#[derive(Debug)]
pub struct Cancelled(Cancel);

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let shared = &(self.0).0;
        if shared.flag.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        let mut wakers = shared.wakers.lock().unwrap_or_else(|e| e.into_inner());
        // Checked again under the lock: `cancel` takes the wakers under the same lock, so a
        // cancel between the first check and here is seen now rather than missed.
        if shared.flag.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clone_sees_a_cancel() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
    }

    #[test]
    fn the_future_completes_when_another_thread_cancels() {
        let token = Cancel::new();
        let remote = token.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            remote.cancel();
        });
        block_on(token.cancelled());
        t.join().unwrap();
        assert!(token.is_cancelled());
    }

    /// A minimal executor: parks the thread until woken.
    fn block_on(mut f: impl Future<Output = ()> + Unpin) {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        while Pin::new(&mut f).poll(&mut cx).is_pending() {
            std::thread::park();
        }
    }
}
