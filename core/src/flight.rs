//! Single flight: one operation in progress, awaited by any number of callers, each getting a clone of its
//! one result. No executor of its own: the flow spawns the operation on the host, which completes the flight.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A result that will be set once, shared by every clone.
pub struct Flight<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

struct Slot<T> {
    result: Option<T>,
    waiting: Vec<Waker>,
}

impl<T> std::fmt::Debug for Flight<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flight").finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Self {
        Flight {
            slot: self.slot.clone(),
        }
    }
}

impl<T: Clone> Default for Flight<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Flight<T> {
    /// A flight without a result yet.
    pub fn new() -> Self {
        Flight {
            slot: Rc::new(RefCell::new(Slot {
                result: None,
                waiting: Vec::new(),
            })),
        }
    }

    /// Sets the result (the first one wins) and wakes every waiter.
    pub fn complete(&self, result: T) {
        let waiting = {
            let mut slot = self.slot.borrow_mut();
            if slot.result.is_some() {
                return;
            }
            slot.result = Some(result);
            std::mem::take(&mut slot.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
    }

    /// The result, once set.
    pub fn wait(&self) -> Wait<T> {
        Wait {
            flight: self.clone(),
        }
    }

    /// The result if it is already set.
    pub fn result(&self) -> Option<T> {
        self.slot.borrow().result.clone()
    }
}

/// The future of [`Flight::wait`].
pub struct Wait<T> {
    flight: Flight<T>,
}

impl<T: Clone> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.flight.slot.borrow_mut();
        match &slot.result {
            Some(result) => Poll::Ready(result.clone()),
            None => {
                if !slot.waiting.iter().any(|w| w.will_wake(cx.waker())) {
                    slot.waiting.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn every_waiter_gets_the_one_result_and_is_woken_once() {
        let flight = Flight::<u32>::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut a = Box::pin(flight.wait());
        let mut b = Box::pin(flight.clone().wait());
        assert_eq!(a.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(b.as_mut().poll(&mut cx), Poll::Pending);
        flight.complete(7);
        flight.complete(8);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "one waker registered once"
        );
        assert_eq!(a.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(b.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(flight.result(), Some(7));
    }
}
