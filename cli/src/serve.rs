//! `wapc serve`: a module's operations served as wRPC functions, opaque or typed by WIT, from one instance or a
//! pool, until Ctrl-C or SIGTERM stops the service gracefully.

use std::io::Write;
use std::sync::Arc;

use wapc_pool::PoolBuilder;
use wrpc_bridge::transport::NatsOptions;
use wrpc_bridge::wit::Catalog;
use wrpc_bridge::{Address, ServiceBuilder};

use crate::args::ServeArgs;
use crate::engine;
use crate::failure::Failure;

/// Runs `wapc serve`.
pub fn run(args: &ServeArgs) -> Result<(), Failure> {
    let address: Address = args
        .listen
        .parse()
        .map_err(|e| Failure::usage(clap::error::ErrorKind::InvalidValue, format!("--listen {}: {e}", args.listen)))?;
    let module = engine::module(&args.module)?;
    // A WASI guest writes to the service's own stdout and stderr, as on upstream hosts.
    let provider = engine::provider(&module, &args.engine, wapc::WasiStdio::Inherit)?;
    let bridge = engine::bridge(&args.engine)?;
    let mut service = match args.pool {
        Some(instances) => {
            let mut pool = PoolBuilder::new().min_instances(instances.into()).max_instances(instances.into());
            if let Some(bridge) = &bridge {
                pool = pool.host_callback(bridge.host_callback());
            }
            ServiceBuilder::new(Arc::new(pool.build(provider)?))
        }
        None => ServiceBuilder::new(Arc::new(wapc::WapcHost::new(provider, bridge.map(|b| b.host_callback()))?)),
    };
    service = exports(service, args)?.nats(nats_options(args));
    if let Some(grace) = args.grace {
        service = service.grace_period(grace);
    }
    if let Some(max) = args.max_in_flight {
        service = service.max_in_flight(max);
    }
    if let Some(wait) = args.admission_wait {
        service = service.admission_wait(wait);
    }
    if let Some(bytes) = args.max_invocation_bytes {
        service = service.max_invocation_bytes(bytes);
    }
    if let Some(timeout) = args.params_timeout {
        service = service.params_timeout(timeout);
    }
    let service = service.serve(&address).map_err(|e| Failure::host(format!("cannot serve: {e}")))?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "serving on {}", service.address());
    let _ = stdout.flush();
    wait_for_a_stop_signal()?;
    eprintln!("wapc: stopping: calls in flight may finish");
    service.stop();
    eprintln!("wapc: stopped");
    Ok(())
}

/// What to serve: `--instance` and its `--op`s, or `--wit`'s `--interface` and its `--alias`es.
fn exports(service: ServiceBuilder, args: &ServeArgs) -> Result<ServiceBuilder, Failure> {
    match (&args.instance, &args.wit, &args.interface) {
        (Some(instance), _, _) => Ok(service.opaque(instance.clone(), args.ops.iter().cloned())),
        (None, Some(wit), Some(id)) => {
            let catalog =
                Catalog::load(wit).map_err(|e| Failure::host(format!("cannot load {}: {e}", wit.display())))?;
            let Some(interface) = catalog.interface(id) else {
                let ids: Vec<&str> = catalog.interfaces().map(|interface| interface.id.as_str()).collect();
                return Err(Failure::host(format!(
                    "{} has no interface {id}: it has {}",
                    wit.display(),
                    ids.join(", ")
                )));
            };
            let service = service.typed(interface);
            Ok(args.aliases.iter().fold(service, |service, (function, operation)| service.alias(function, operation)))
        }
        _ => Err(Failure::usage(
            clap::error::ErrorKind::MissingRequiredArgument,
            "say what to serve: --instance NAME --op OP (bytes in and out), or --wit DIR --interface ID (typed)",
        )),
    }
}

fn nats_options(args: &ServeArgs) -> NatsOptions {
    let mut options = NatsOptions::default();
    options.prefix = args.prefix.clone();
    options.queue_group = args.group.clone();
    options.user = args.user.clone();
    options.password = args.password.clone();
    options.token = args.token.clone();
    options.credentials = args.credentials.clone();
    options.tls = args.tls;
    options.root_certificates = args.root_certificates.clone();
    options
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM.
fn wait_for_a_stop_signal() -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Failure::host(format!("cannot wait for signals: {e}")))?;
    runtime.block_on(async {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| Failure::host(format!("cannot wait for SIGTERM: {e}")))?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.map_err(|e| Failure::host(format!("cannot wait for Ctrl-C: {e}"))),
            _ = terminate.recv() => Ok(()),
        }
    })
}
