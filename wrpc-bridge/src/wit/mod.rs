//! WIT loading: a package's interfaces and functions, in the bridge's own type tree.
//!
//! The bridge carries every value a waPC guest can hold whole: plain values, whole `stream`s and `future`s, and
//! resource handles (as opaque bytes). A resource's constructor, methods and static functions are listed under
//! their wRPC names (`bucket`, `bucket.get`, `bucket.open` for `[constructor]bucket`, `[method]bucket.get`,
//! `[static]bucket.open`), a method's handle being its first parameter, `self`.
//!
//! A function whose signature reaches an `error-context`, a `map`, a fixed-length list, or a stream or future
//! inside a list, a stream or a future — and every async function, getter and setter — is refused, by name, when
//! the WIT is loaded: it is listed in its interface's [`refused`](Interface::refused) functions, and the rest of
//! the package is carried as usual.

mod convert;
mod types;

use std::collections::BTreeMap;
use std::path::Path;

use wit_parser::Resolve;

pub use types::{Type, async_paths};

/// A WIT function of an interface: its parameters and results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The function's name, as written in WIT (kebab-case).
    pub name: String,
    /// The parameters, in order: name (kebab-case) and type.
    pub params: Vec<(String, Type)>,
    /// The result types, in order (WIT functions have at most one).
    pub results: Vec<Type>,
}

impl Function {
    /// The paths on which the parameters' streams and futures may follow when sent pending (see
    /// [`async_paths`]); none for most functions.
    #[must_use]
    pub fn param_paths(&self) -> Vec<Box<[usize]>> {
        async_paths(self.params.iter().map(|(_, ty)| ty))
    }

    /// The paths on which the results' streams and futures may follow when sent pending.
    #[must_use]
    pub fn result_paths(&self) -> Vec<Box<[usize]>> {
        async_paths(&self.results)
    }
}

/// A WIT interface: its fully qualified id and its functions (resource functions under their wRPC names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The fully qualified id, e.g. `wasi:keyvalue/store@0.2.0-draft`, or `ns:pkg/iface` for a
    /// package without a version.
    pub id: String,
    /// The interface's functions by name.
    pub functions: BTreeMap<String, Function>,
    /// The functions the bridge cannot carry, by name, each with what it uses that the bridge cannot carry
    /// (e.g. "a stream").
    pub refused: BTreeMap<String, &'static str>,
}

impl Interface {
    /// Why the bridge cannot carry `function`, if it is one of the [`refused`](Self::refused) ones: the
    /// [`WitError::Unsupported`] naming it.
    #[must_use]
    pub fn refusal(&self, function: &str) -> Option<WitError> {
        let (function, what) = self.refused.get_key_value(function)?;
        Some(WitError::Unsupported { interface: self.id.clone(), function: function.clone(), what })
    }
}

/// All interfaces of one loaded WIT package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    interfaces: BTreeMap<String, Interface>,
}

/// Why WIT could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WitError {
    /// The WIT could not be read, parsed or resolved; the text is wit-parser's message.
    #[error("invalid WIT: {0}")]
    Parse(String),
    /// A function uses a type or form the bridge cannot carry: what calling it, routing to it or serving it
    /// reports.
    #[error("function `{function}` of `{interface}` uses {what}, which the bridge cannot carry")]
    Unsupported {
        /// The interface's id.
        interface: String,
        /// The function's name.
        function: String,
        /// What it uses, e.g. "a stream".
        what: &'static str,
    },
}

impl Catalog {
    /// Loads the WIT package at `path`: a `.wit` file, or a directory (with an optional `deps`
    /// folder). Only the main package's interfaces are listed; its dependencies only lend types.
    ///
    /// # Errors
    ///
    /// [`WitError::Parse`] if the WIT is invalid.
    pub fn load(path: &Path) -> Result<Self, WitError> {
        let mut resolve = Resolve::default();
        let (package, _) = resolve.push_path(path).map_err(|err| WitError::Parse(format!("{err:#}")))?;
        convert::catalog(&resolve, package)
    }

    /// Parses WIT source text; `name_for_errors` names the source in error messages.
    ///
    /// # Errors
    ///
    /// As for [`Catalog::load`].
    pub fn parse(name_for_errors: &str, source: &str) -> Result<Self, WitError> {
        let mut resolve = Resolve::default();
        let package = resolve.push_str(name_for_errors, source).map_err(|err| WitError::Parse(format!("{err:#}")))?;
        convert::catalog(&resolve, package)
    }

    /// The interface with exactly this id (versions are not matched loosely).
    #[must_use]
    pub fn interface(&self, id: &str) -> Option<&Interface> {
        self.interfaces.get(id)
    }

    /// All interfaces, ordered by id.
    pub fn interfaces(&self) -> impl Iterator<Item = &Interface> {
        self.interfaces.values()
    }

    /// The function `function` of the interface `instance`.
    #[must_use]
    pub fn function(&self, instance: &str, function: &str) -> Option<&Function> {
        self.interface(instance)?.functions.get(function)
    }
}

#[cfg(test)]
mod tests;
