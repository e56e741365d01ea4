//! Which frames a [`FrameReader`](super::FrameReader) lets through: the subscribed [`Paths`] of one invocation,
//! and on a serving side the [`ServedFunctions`] an invocation header may name.

use std::collections::HashMap;
use std::sync::Arc;

/// The value paths one side of an invocation subscribed to, as wRPC takes them: each element an index, or `None`
/// for any index. Root frames (the empty path) are always allowed; any other frame must match a subscribed path
/// exactly, element by element.
///
/// ```
/// use wrpc_bridge::framing::Paths;
///
/// let paths = Paths::new([vec![Some(0), None]]);
/// assert!(paths.allows(&[]));
/// assert!(paths.allows(&[0, 7]));
/// assert!(!paths.allows(&[1, 7]));
/// assert!(!paths.allows(&[0]));
/// assert_eq!(paths.depth(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paths {
    subscribed: Vec<Box<[Option<usize>]>>,
    depth: usize,
}

impl Paths {
    /// These subscribed paths.
    pub fn new<P: Into<Box<[Option<usize>]>>>(subscribed: impl IntoIterator<Item = P>) -> Self {
        let subscribed: Vec<Box<[Option<usize>]>> = subscribed.into_iter().map(Into::into).collect();
        let depth = subscribed.iter().map(|path| path.len()).max().unwrap_or(0);
        Paths { subscribed, depth }
    }

    /// These paths, each exactly (no wildcard).
    #[must_use]
    pub fn exact(paths: &[Box<[usize]>]) -> Self {
        Self::new(paths.iter().map(|path| path.iter().copied().map(Some).collect::<Box<[_]>>()))
    }

    /// No path but the root: an invocation without streams or futures.
    #[must_use]
    pub fn root_only() -> Self {
        Paths::default()
    }

    /// The deepest subscribed path's length (0 when only the root is allowed).
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Whether a frame on `path` may pass.
    #[must_use]
    pub fn allows(&self, path: &[usize]) -> bool {
        path.is_empty() || self.subscribed.iter().any(|subscribed| matches(subscribed, path))
    }

    /// The position of the first subscribed path `path` falls under; `None` for the root, or a path not
    /// subscribed.
    ///
    /// ```
    /// use wrpc_bridge::framing::Paths;
    ///
    /// let paths = Paths::new([vec![Some(0), None], vec![Some(1)]]);
    /// assert_eq!(paths.index_of(&[1]), Some(1));
    /// assert_eq!(paths.index_of(&[0, 7]), Some(0));
    /// assert_eq!(paths.index_of(&[]), None);
    /// assert_eq!(paths.index_of(&[2]), None);
    /// ```
    #[must_use]
    pub fn index_of(&self, path: &[usize]) -> Option<usize> {
        if path.is_empty() {
            return None;
        }
        self.subscribed.iter().position(|subscribed| matches(subscribed, path))
    }

    /// The subscribed paths, as wRPC's `serve` and `invoke` take them.
    #[must_use]
    pub fn subscribed(&self) -> &[Box<[Option<usize>]>] {
        &self.subscribed
    }
}

/// Whether `path` falls under the subscribed path `subscribed`: element by element, a wildcard matching any index.
fn matches(subscribed: &[Option<usize>], path: &[usize]) -> bool {
    subscribed.len() == path.len()
        && subscribed.iter().zip(path).all(|(wanted, &got)| wanted.is_none_or(|wanted| wanted == got))
}

/// The functions a serving side answers, each with the paths of its parameters: an invocation header must name
/// one of them, and its frames must be on that function's paths.
///
/// ```
/// use wrpc_bridge::framing::{Paths, ServedFunctions};
///
/// let served = ServedFunctions::default().with("legacy:guest/api", "echo", Paths::root_only());
/// assert!(served.paths("legacy:guest/api", "echo").is_some());
/// assert!(served.paths("legacy:guest/api", "other").is_none());
/// assert_eq!(served.longest_name(), "legacy:guest/api".len());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServedFunctions {
    functions: HashMap<String, HashMap<String, Arc<Paths>>>,
    longest_name: usize,
}

impl ServedFunctions {
    /// Adds `instance#function`, whose parameters use `paths`.
    #[must_use]
    pub fn with(mut self, instance: impl Into<String>, function: impl Into<String>, paths: Paths) -> Self {
        let (instance, function) = (instance.into(), function.into());
        self.longest_name = self.longest_name.max(instance.len()).max(function.len());
        self.functions.entry(instance).or_default().insert(function, Arc::new(paths));
        self
    }

    /// The parameter paths of `instance#function`, if it is served.
    #[must_use]
    pub fn paths(&self, instance: &str, function: &str) -> Option<&Arc<Paths>> {
        self.functions.get(instance).and_then(|functions| functions.get(function))
    }

    /// Whether any function of `instance` is served.
    #[must_use]
    pub fn serves_instance(&self, instance: &str) -> bool {
        self.functions.contains_key(instance)
    }

    /// The length of the longest instance or function name served: no header name may be longer.
    #[must_use]
    pub fn longest_name(&self) -> usize {
        self.longest_name
    }
}
