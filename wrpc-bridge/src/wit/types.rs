//! The value types the bridge carries.

use std::fmt;

/// A WIT value type, with type aliases resolved. Names are kept as written in WIT (kebab-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `s16`
    S16,
    /// `s32`
    S32,
    /// `s64`
    S64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`: one Unicode scalar value.
    Char,
    /// `string`
    String,
    /// `list<T>`
    List(Box<Type>),
    /// `tuple<T, ...>`
    Tuple(Vec<Type>),
    /// A record: field names and types, in declaration order.
    Record(Vec<(String, Type)>),
    /// A variant: case names and optional payload types, in declaration order.
    Variant(Vec<(String, Option<Type>)>),
    /// An enum: case names in declaration order.
    Enum(Vec<String>),
    /// Flags: flag names in declaration order.
    Flags(Vec<String>),
    /// `option<T>`
    Option(Box<Type>),
    /// `result<T, E>`, either payload optional.
    Result {
        /// The `ok` payload type, if any.
        ok: Option<Box<Type>>,
        /// The `err` payload type, if any.
        err: Option<Box<Type>>,
    },
    /// `stream<T>`: whole, as a list of `T` (the bridge buffers a stream the peer sends in chunks).
    Stream(Box<Type>),
    /// `future<T>`, or `future` without a value: whole, as its value once ready.
    Future(Option<Box<Type>>),
    /// A resource handle, `own<R>` or `borrow<R>`: opaque bytes that only the side that made it can read.
    Handle {
        /// The resource's name, as written in WIT.
        resource: String,
        /// `borrow<R>` rather than `own<R>`.
        borrowed: bool,
    },
}

impl Type {
    /// Whether the type is a stream or a future: a value that may be sent *pending*, its contents following on
    /// the indexed path of its position.
    #[must_use]
    pub fn is_async(&self) -> bool {
        matches!(self, Self::Stream(_) | Self::Future(_))
    }

    /// Whether a value of this type can hold a stream or a future anywhere inside it.
    #[must_use]
    pub fn holds_async(&self) -> bool {
        match self {
            Self::Stream(_) | Self::Future(_) => true,
            Self::List(element) | Self::Option(element) => element.holds_async(),
            Self::Tuple(types) => types.iter().any(Self::holds_async),
            Self::Record(fields) => fields.iter().any(|(_, ty)| ty.holds_async()),
            Self::Variant(cases) => cases.iter().any(|(_, payload)| payload.as_ref().is_some_and(Self::holds_async)),
            Self::Result { ok, err } => [ok, err].into_iter().flatten().any(|ty| ty.holds_async()),
            _ => false,
        }
    }
}

/// The wRPC paths of every stream and future that values of `types` (a function's parameters or results, in
/// order) can hold: the value's index, then a record field's or tuple element's index at each level. A
/// variant's, option's or result's payload shares its parent's path, so that two positions may share one path;
/// each path is listed once, in order.
///
/// ```
/// use wrpc_bridge::wit::{Type, async_paths};
///
/// let bytes = Type::Stream(Box::new(Type::U8));
/// let rec = Type::Record(vec![("a".into(), bytes.clone()), ("b".into(), Type::U32)]);
/// assert_eq!(async_paths([&rec]), [vec![0, 0].into_boxed_slice()]);
/// assert_eq!(async_paths([&Type::U32, &Type::Option(Box::new(bytes))]), [vec![1].into_boxed_slice()]);
/// ```
pub fn async_paths<'t>(types: impl IntoIterator<Item = &'t Type>) -> Vec<Box<[usize]>> {
    fn walk(ty: &Type, path: &mut Vec<usize>, paths: &mut Vec<Box<[usize]>>) {
        match ty {
            Type::Stream(_) | Type::Future(_) if !paths.iter().any(|known| **known == **path) => {
                paths.push(path.clone().into_boxed_slice());
            }
            Type::Record(fields) => fields.iter().enumerate().for_each(|(i, (_, ty))| nested(i, ty, path, paths)),
            Type::Tuple(types) => types.iter().enumerate().for_each(|(i, ty)| nested(i, ty, path, paths)),
            Type::Option(some) => walk(some, path, paths),
            Type::Variant(cases) => {
                cases.iter().filter_map(|(_, payload)| payload.as_ref()).for_each(|ty| walk(ty, path, paths));
            }
            Type::Result { ok, err } => [ok, err].into_iter().flatten().for_each(|ty| walk(ty, path, paths)),
            _ => {}
        }
    }
    fn nested(index: usize, ty: &Type, path: &mut Vec<usize>, paths: &mut Vec<Box<[usize]>>) {
        path.push(index);
        walk(ty, path, paths);
        path.pop();
    }
    let mut paths = Vec::new();
    for (i, ty) in types.into_iter().enumerate() {
        if ty.holds_async() {
            let mut path = vec![i];
            walk(ty, &mut path, &mut paths);
        }
    }
    paths
}

/// WIT-like notation, short enough for error messages: records, variants, enums and flags show
/// their names only, e.g. `list<record { name, age }>`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::S8 => f.write_str("s8"),
            Self::S16 => f.write_str("s16"),
            Self::S32 => f.write_str("s32"),
            Self::S64 => f.write_str("s64"),
            Self::U8 => f.write_str("u8"),
            Self::U16 => f.write_str("u16"),
            Self::U32 => f.write_str("u32"),
            Self::U64 => f.write_str("u64"),
            Self::F32 => f.write_str("f32"),
            Self::F64 => f.write_str("f64"),
            Self::Char => f.write_str("char"),
            Self::String => f.write_str("string"),
            Self::List(element) => write!(f, "list<{element}>"),
            Self::Tuple(types) => {
                f.write_str("tuple<")?;
                write_list(f, types.iter())?;
                f.write_str(">")
            }
            Self::Record(fields) => write_names(f, "record", fields.iter().map(|(name, _)| name)),
            Self::Variant(cases) => write_names(f, "variant", cases.iter().map(|(name, _)| name)),
            Self::Enum(cases) => write_names(f, "enum", cases.iter()),
            Self::Flags(flags) => write_names(f, "flags", flags.iter()),
            Self::Option(some) => write!(f, "option<{some}>"),
            Self::Result { ok, err } => match (ok, err) {
                (Some(ok), Some(err)) => write!(f, "result<{ok}, {err}>"),
                (Some(ok), None) => write!(f, "result<{ok}>"),
                (None, Some(err)) => write!(f, "result<_, {err}>"),
                (None, None) => f.write_str("result"),
            },
            Self::Stream(element) => write!(f, "stream<{element}>"),
            Self::Future(Some(value)) => write!(f, "future<{value}>"),
            Self::Future(None) => f.write_str("future"),
            Self::Handle { resource, borrowed: false } => write!(f, "own<{resource}>"),
            Self::Handle { resource, borrowed: true } => write!(f, "borrow<{resource}>"),
        }
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = T>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

fn write_names<'a>(f: &mut fmt::Formatter<'_>, keyword: &str, names: impl Iterator<Item = &'a String>) -> fmt::Result {
    write!(f, "{keyword} {{ ")?;
    write_list(f, names)?;
    f.write_str(" }")
}
