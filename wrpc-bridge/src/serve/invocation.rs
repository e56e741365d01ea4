//! Serving one function: taking its invocations, and answering each by a call into the guest.

use std::sync::Arc;

use futures::{FutureExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use wapc::WapcHost;

use super::Served;
use crate::error::one_line;
use crate::transcode;

/// The most parameter bytes one invocation may send.
const MAX_PARAMS_BYTES: usize = 64 * 1024 * 1024;

/// Takes a function's invocations until the service stops, handling each in a task of its own. Invocations that
/// have already arrived when it stops are still handled.
pub(super) async fn invocation_loop<C, O, I>(
    invocations: impl Stream<Item = anyhow::Result<(C, O, I)>> + Send + 'static,
    host: Arc<WapcHost>,
    served: Arc<Served>,
    mut stopped: watch::Receiver<bool>,
    tracker: TaskTracker,
) where
    O: AsyncWrite + Send + Unpin + 'static,
    I: AsyncRead + Send + Unpin + 'static,
{
    let mut invocations = std::pin::pin!(invocations);
    let dispatch = |next: anyhow::Result<(C, O, I)>| match next {
        Err(e) => {
            log::warn!("wrpc-bridge: a failed invocation of {}#{}: {}", served.instance, served.function, one_line(&e))
        }
        Ok((_, results, params)) => {
            let (host, served) = (Arc::clone(&host), Arc::clone(&served));
            tracker.spawn(async move {
                if let Err(e) = handle(host, Arc::clone(&served), params, results).await {
                    log::warn!("wrpc-bridge: {}#{} failed: {}", served.instance, served.function, one_line(&e));
                }
            });
        }
    };
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
async fn handle<I, O>(host: Arc<WapcHost>, served: Arc<Served>, mut params: I, mut results: O) -> anyhow::Result<()>
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let mut buffer = Vec::new();
    let payload = loop {
        let decoded = match &served.signature {
            Some(function) => transcode::decode_params(function, &buffer, &served.options),
            None => transcode::opaque::decode_params(&buffer).map(|(used, payload)| (used, payload.to_vec())),
        };
        match decoded {
            Ok((_, payload)) => break payload,
            Err(e) if e.is_incomplete() && buffer.len() < MAX_PARAMS_BYTES => {
                if params.read_buf(&mut buffer).await? == 0 {
                    anyhow::bail!("the client ended its parameters before they were complete");
                }
            }
            Err(e) => return Err(e.into()),
        }
    };
    let calling = Arc::clone(&served);
    let response = tokio::task::spawn_blocking(move || host.call(&calling.operation, &payload)).await?;
    let response = response.map_err(|error| match error {
        wapc::errors::Error::GuestError(text) => text,
        other => other.to_string(),
    });
    let response = response.as_ref().map(Vec::as_slice).map_err(String::as_str);
    let mut encoded = Vec::new();
    match &served.signature {
        Some(function) => transcode::encode_results(function, response, &served.options, &mut encoded)?,
        None => transcode::opaque::encode_results(response, &mut encoded),
    }
    results.write_all(&encoded).await?;
    results.flush().await?;
    results.shutdown().await?;
    Ok(())
}
