//! Routing: which target, interface and function a guest's `(binding, namespace, operation)` reaches.
//!
//! An explicit [`Route`] wins. Otherwise the convention applies: `binding` names a configured target,
//! `namespace` is the WIT interface id (with or without its `@version`), and `operation` is the function, in
//! kebab-case or as camelCase, PascalCase or snake_case. A target with WIT must have that function; an opaque
//! target (no WIT) takes any. Anything else is unrouted: the bridge forwards only what it is told to.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::naming::to_kebab;
use crate::target::BridgeTarget;
use crate::wit::{Catalog, Function, Interface, WitError};

/// A route for a call the convention does not cover (a `[[routes]]` entry of the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The guest's binding.
    pub binding: String,
    /// The guest's namespace.
    pub namespace: String,
    /// The guest's operation.
    pub operation: String,
    /// The target; the one named by `binding` when omitted.
    #[serde(default)]
    pub target: Option<String>,
    /// The WIT interface (wRPC instance) to call.
    pub instance: String,
    /// The function to call.
    pub function: String,
}

/// How a call's payload and results are carried.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signature<'a> {
    /// Transcoded by the function's WIT types.
    Typed(&'a Function),
    /// Passed through as `func(payload: list<u8>) -> result<list<u8>, string>`.
    Opaque,
}

/// Where one call goes.
#[derive(Debug)]
pub(crate) struct Destination<'a> {
    pub(crate) target: &'a BridgeTarget,
    pub(crate) instance: &'a str,
    pub(crate) function: Cow<'a, str>,
    pub(crate) signature: Signature<'a>,
}

/// An explicit route, checked against its target when the bridge was built.
#[derive(Debug)]
struct RouteTo {
    target: String,
    instance: String,
    function: String,
}

/// Explicit routes by binding, namespace and operation (nested, so a lookup allocates nothing).
type RouteTable = HashMap<String, HashMap<String, HashMap<String, RouteTo>>>;

/// The targets and routes of a bridge.
#[derive(Debug)]
pub(crate) struct Router {
    targets: HashMap<String, BridgeTarget>,
    routes: RouteTable,
}

impl Router {
    /// A router over `targets`, with `routes` checked against them.
    ///
    /// # Errors
    /// A route naming an unknown target, or a function its target's WIT does not have.
    pub(crate) fn new(targets: HashMap<String, BridgeTarget>, routes: Vec<Route>) -> Result<Self, ConfigError> {
        let mut router = Router { targets, routes: RouteTable::new() };
        for route in routes {
            let target_name = route.target.unwrap_or_else(|| route.binding.clone());
            let target =
                router.targets.get(&target_name).ok_or_else(|| ConfigError::UnknownTarget(target_name.clone()))?;
            if let Some(catalog) = target.catalog()
                && catalog.function(&route.instance, &route.function).is_none()
            {
                if let Some(refusal) = catalog.interface(&route.instance).and_then(|i| i.refusal(&route.function)) {
                    return Err(ConfigError::Unsupported { target: target_name, source: refusal });
                }
                return Err(ConfigError::UnknownFunction {
                    target: target_name,
                    instance: route.instance,
                    function: route.function,
                });
            }
            router.routes.entry(route.binding).or_default().entry(route.namespace).or_default().insert(
                route.operation,
                RouteTo { target: target_name, instance: route.instance, function: route.function },
            );
        }
        Ok(router)
    }

    /// Where `(binding, namespace, operation)` goes, if anywhere.
    pub(crate) fn resolve<'a>(
        &'a self,
        binding: &str,
        namespace: &'a str,
        operation: &'a str,
    ) -> Option<Destination<'a>> {
        if let Some(route) = self.routes.get(binding).and_then(|namespaces| namespaces.get(namespace)?.get(operation)) {
            let target = self.targets.get(&route.target)?;
            return Some(destination(target, &route.instance, Cow::Borrowed(&route.function)));
        }
        let target = self.targets.get(binding)?;
        let function = to_kebab(operation);
        match target.catalog() {
            None => Some(Destination { target, instance: namespace, function, signature: Signature::Opaque }),
            Some(catalog) => {
                let interface = find_interface(catalog, namespace)?;
                let typed = interface.functions.get(function.as_ref())?;
                Some(Destination {
                    target,
                    instance: &interface.id,
                    function: Cow::Borrowed(&typed.name),
                    signature: Signature::Typed(typed),
                })
            }
        }
    }
}

impl Router {
    /// Why the bridge cannot carry the function `(binding, namespace, operation)` would reach by convention, if
    /// its target's WIT lists it among those it refuses.
    pub(crate) fn refusal(&self, binding: &str, namespace: &str, operation: &str) -> Option<WitError> {
        let catalog = self.targets.get(binding)?.catalog()?;
        find_interface(catalog, namespace)?.refusal(&to_kebab(operation))
    }
}

/// The destination of an explicit route (whose function was checked when the router was made).
fn destination<'a>(target: &'a BridgeTarget, instance: &'a str, function: Cow<'a, str>) -> Destination<'a> {
    let signature = match target.catalog().and_then(|catalog| catalog.function(instance, &function)) {
        Some(typed) => Signature::Typed(typed),
        None => Signature::Opaque,
    };
    Destination { target, instance, function, signature }
}

/// The interface `namespace` names: its exact id, or the only one whose id without `@version` it is.
fn find_interface<'a>(catalog: &'a Catalog, namespace: &str) -> Option<&'a Interface> {
    if let Some(interface) = catalog.interface(namespace) {
        return Some(interface);
    }
    let mut unversioned =
        catalog.interfaces().filter(|interface| interface.id.split_once('@').is_some_and(|(id, _)| id == namespace));
    let only = unversioned.next()?;
    unversioned.next().is_none().then_some(only)
}
