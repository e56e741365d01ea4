//! Serving one function: taking its invocations, and answering each by a call into the guest.
//!
//! An invocation's parameters must arrive within the service's parameter timeout and cap, with the streams and
//! futures they send pending (read from their paths at once: the guest takes them whole). A [`WireScanner`]
//! finds where they end as the bytes arrive, so that they are decoded once, when complete; large ones are
//! decoded, and the guest is always called, on the service's [`Workers`]. Results are sent inline, but for an
//! empty stream, which is sent pending with its end on its path.

use std::borrow::Cow;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use futures::{FutureExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tracing::{Instrument, Span};
use wapc::errors::{Error, Resource, ResourceLimit};
use wrpc_transport::Index;

use super::admission::Admission;
use super::{Served, ServedGuest, Shape, Shared};
use crate::error::one_line;
use crate::receive::{ReceiveError, Values, receive};
use crate::spans;
use crate::trace_context::Carrier;
use crate::transcode::{self, WireScanner};
use crate::transport::{Incoming, ValuesReader, indexed};

/// Parameters up to this size are decoded on the async worker that read them: it takes microseconds.
const DECODE_INLINE_BYTES: usize = 64 * 1024;

/// Takes a function's invocations until the service stops, handling each in a task of its own. Invocations that
/// have already arrived when it stops are still handled. `admission` is given when each invocation must take a
/// place among those in flight itself (over NATS; over sockets the connection took one).
pub(super) async fn invocation_loop<C, O, I>(
    invocations: impl Stream<Item = anyhow::Result<(C, O, I)>> + Send + 'static,
    shared: Arc<Shared>,
    served: Arc<Served>,
    admission: Option<Admission>,
) where
    C: Carrier + Send + 'static,
    O: AsyncWrite + Index<O> + Send + Unpin + 'static,
    I: AsyncRead + Index<I> + Send + Unpin + 'static,
{
    let mut invocations = std::pin::pin!(invocations);
    let dispatch = |next: anyhow::Result<(C, O, I)>| match next {
        Err(e) => wapc::__event!(warn, "wrpc-bridge: a failed invocation of {served}: {}", one_line(&e)),
        Ok((carrier, results, params)) => {
            let (shared, served, admission) = (Arc::clone(&shared), Arc::clone(&served), admission.clone());
            let tracker = shared.tracker.clone();
            tracker.spawn(async move {
                let _place = match &admission {
                    Some(admission) => match admission.admit().await {
                        Some(place) => Some(place),
                        None => return,
                    },
                    None => None,
                };
                let span = spans::serve(&served.instance, &served.function, shared.transport);
                carrier.continue_in(&span);
                let handling = handle(&shared, &served, params, results).instrument(span.clone());
                let outcome = tokio::select! {
                    () = shared.cut.cancelled() => {
                        wapc::__event!(warn, "wrpc-bridge: {served}: cut off when the service stopped");
                        "cut off"
                    }
                    handled = handling => match handled {
                        Ok(()) => "ok",
                        Err(e) => {
                            wapc::__event!(warn, "wrpc-bridge: {served} failed: {}", one_line(&e));
                            "failed"
                        }
                    },
                };
                spans::record_outcome(&span, outcome);
            });
        }
    };
    let mut stopped = shared.stopped.clone();
    loop {
        tokio::select! {
            next = invocations.next() => match next {
                Some(next) => dispatch(next),
                None => return,
            },
            _ = stopped.wait_for(|stop| *stop) => break,
        }
    }
    while let Some(Some(next)) = invocations.next().now_or_never() {
        dispatch(next);
    }
}

/// One invocation: reads the parameters, calls the guest, writes the results.
async fn handle<I, O>(shared: &Shared, served: &Arc<Served>, params: I, mut results: O) -> anyhow::Result<()>
where
    I: AsyncRead + Index<I> + Send + Unpin + 'static,
    O: AsyncWrite + Index<O> + Unpin,
{
    let limits = &shared.limits;
    let reader = |stream: I| -> ValuesReader { Box::pin(stream) };
    let incoming = Incoming::Streams { paths: indexed(&params, &served.param_paths, reader)?, root: reader(params) };
    let scanner = WireScanner::params(served.params(), limits.max_invocation_bytes);
    let deadline = Instant::now() + limits.params_timeout;
    let params = receive(incoming, scanner, limits.max_invocation_bytes, deadline).await.map_err(|e| match e {
        ReceiveError::TooLarge => {
            anyhow::anyhow!("the parameters take more than the cap of {} bytes", limits.max_invocation_bytes)
        }
        ReceiveError::Io(e) => e.into(),
        ReceiveError::Malformed { path, error, .. } => anyhow::anyhow!("malformed parameters{}: {error}", on(path)),
        ReceiveError::Ended { path: None, after } => {
            anyhow::anyhow!("the client ended its parameters after {after} bytes, before they were complete")
        }
        ReceiveError::Ended { path: Some(path), after } => {
            anyhow::anyhow!(
                "the client ended the parameters' path {path:?} after {after} bytes, before it was complete"
            )
        }
        ReceiveError::Deadline { waiting } => anyhow::anyhow!(
            "the parameters did not arrive within {:?}{}",
            limits.params_timeout,
            waiting.map(|(path, ty)| format!(": the {ty} on path {path:?} did not end")).unwrap_or_default()
        ),
    })?;
    anyhow::ensure!(params.end == params.wire.len(), "{} bytes follow the parameters", params.wire.len() - params.end);
    let received = params.wire.len() + params.received.iter().map(|received| received.wire.len()).sum::<usize>();
    spans::record_bytes(&Span::current(), "params_bytes", received);
    let payload = decode(shared, served, params).await?;
    let encoded = answer(shared, served, payload).await?;
    spans::record_bytes(&Span::current(), "results_bytes", encoded.len());
    results.write_all(&encoded).await?;
    if served.results().iter().any(crate::wit::Type::holds_async) {
        let ends = transcode::stream_ends(WireScanner::results(served.results(), usize::MAX), &encoded)?;
        for path in ends {
            let mut end = results.index(&path)?;
            end.write_all(&[0]).await?;
            end.shutdown().await?;
        }
    }
    results.flush().await?;
    results.shutdown().await?;
    Ok(())
}

/// " on the path [0, 1]" for a path, nothing for the root.
fn on(path: Option<Box<[usize]>>) -> String {
    path.map(|path| format!(" on the path {path:?}")).unwrap_or_default()
}

/// The guest's payload for these complete parameters, decoded on a worker when they are large.
async fn decode(shared: &Shared, served: &Arc<Served>, params: Values) -> anyhow::Result<Bytes> {
    let size = params.wire.len() + params.received.iter().map(|received| received.wire.len()).sum::<usize>();
    if matches!(served.shape, Shape::Opaque) || size <= DECODE_INLINE_BYTES {
        return served.payload(params);
    }
    let decoding = Arc::clone(served);
    shared.decoders.run(move || decoding.payload(params)).await.context("decoding the parameters panicked")?
}

/// Calls the guest and encodes its answer as the function's results. A blocking host's call runs on the
/// service's guest worker, which encodes the answer too. A pool's call waits for an instance without a thread and
/// runs on the pool's threads, or, for async hosts, on this task, as an async host's call does; the answer is
/// encoded here when small, on a decoder when large.
async fn answer(shared: &Shared, served: &Arc<Served>, payload: Bytes) -> anyhow::Result<Vec<u8>> {
    let max_bytes = shared.limits.max_invocation_bytes;
    let response = match &shared.served_guest {
        ServedGuest::Pool(pool) => pool.call_async(served.operation.as_str(), Vec::from(payload)).await,
        ServedGuest::AsyncHost(host) => host.call(&served.operation, &payload).await,
        ServedGuest::Host(host) => {
            let (host, answering, span) = (Arc::clone(host), Arc::clone(served), Span::current());
            let encoded = shared.guest.run(move || {
                // The guest's `wapc.call` inside this invocation's `wrpc.serve`, on the guest's thread too.
                let _inside = span.enter();
                let response = host.call(&answering.operation, &payload);
                encode_answer(&answering, response.map_err(|error| client_error_text(&answering, error)), max_bytes)
            });
            return encoded.await.context("the guest call panicked")?;
        }
    };
    let response = response.map_err(|error| client_error_text(served, error));
    if response.as_ref().is_ok_and(|bytes| bytes.len() > DECODE_INLINE_BYTES) {
        let encoding = Arc::clone(served);
        let encoded = shared.decoders.run(move || encode_answer(&encoding, response, max_bytes)).await;
        return encoded.context("encoding the answer panicked")?;
    }
    encode_answer(served, response, max_bytes)
}

/// Encodes the guest's answer (or the error text a client may see) as the function's results, at most
/// `max_bytes`.
fn encode_answer(
    served: &Served,
    response: Result<Vec<u8>, Cow<'static, str>>,
    max_bytes: usize,
) -> anyhow::Result<Vec<u8>> {
    let response = response.as_ref().map(Vec::as_slice).map_err(AsRef::as_ref);
    let mut encoded = Vec::new();
    match &served.shape {
        Shape::Typed(function) => transcode::encode_results(function, response, &served.options, &mut encoded)?,
        Shape::Opaque => {
            if let Ok(bytes) = response {
                anyhow::ensure!(
                    bytes.len() <= max_bytes,
                    "the guest's answer takes more than the cap of {max_bytes} bytes"
                );
            }
            transcode::opaque::encode_results(response, &mut encoded);
        }
    }
    Ok(encoded)
}

/// What a client is told when the guest's call failed: the guest's own error text, or only the kind of failure on
/// the host's side. Its details (trap messages, panics, file paths) stay in the host's log.
fn client_error_text(served: &Served, error: Error) -> Cow<'static, str> {
    match error {
        Error::GuestError(text) => Cow::Owned(text),
        error => {
            wapc::__event!(warn, "wrpc-bridge: {served}: {error}");
            Cow::Borrowed(match error {
                Error::Trap(_) => "the guest trapped",
                Error::DeadlineExceeded(_) => "the guest ran out of time",
                Error::ResourceLimit(ResourceLimit { resource: Resource::Instances, .. }) => {
                    "the host has no room for another instance"
                }
                Error::ResourceLimit(_) => "the guest exceeded a resource limit",
                _ => "the host could not run the guest",
            })
        }
    }
}
