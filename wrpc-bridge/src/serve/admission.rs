//! [`Admission`]: the cap on invocations in flight. Over TCP and Unix sockets a connection is one invocation
//! and holds its place until its answer is written out; over NATS an invocation holds it until it is answered.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Places for the invocations in flight.
#[derive(Debug, Clone)]
pub(super) struct Admission {
    places: Arc<Semaphore>,
    max: usize,
    wait: Duration,
}

impl Admission {
    /// `max` places; a newcomer waits at most `wait` for one.
    pub(super) fn new(max: usize, wait: Duration) -> Self {
        Admission { places: Arc::new(Semaphore::new(max)), max, wait }
    }

    /// A place, or `None` once the wait has passed with every place taken (the newcomer is then refused).
    pub(super) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let place = tokio::time::timeout(self.wait, Arc::clone(&self.places).acquire_owned()).await;
        let place = place.ok().and_then(Result::ok);
        if place.is_none() {
            wapc::__event!(
                warn,
                "wrpc-bridge: refused an invocation: {} are in flight and none ended within {:?}",
                self.max,
                self.wait
            );
        }
        place
    }
}
