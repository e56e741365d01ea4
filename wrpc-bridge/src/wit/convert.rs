//! Conversion from wit-parser's resolved package to the bridge's [`Catalog`].

use std::collections::BTreeMap;

use wit_parser::{FunctionKind, Handle, PackageId, Resolve, TypeDefKind};

use super::{Catalog, Function, Interface, Type, WitError};

/// What a signature uses that the bridge cannot carry, e.g. "a stream".
type Refusal = &'static str;

/// Collects the free functions of every named interface of `package`, and the names of those it cannot carry.
pub(super) fn catalog(resolve: &Resolve, package: PackageId) -> Result<Catalog, WitError> {
    let mut interfaces = BTreeMap::new();
    let Some(package) = resolve.packages.get(package) else {
        return Ok(Catalog { interfaces });
    };
    for &interface_id in package.interfaces.values() {
        let (Some(interface), Some(id)) = (resolve.interfaces.get(interface_id), resolve.id_of(interface_id)) else {
            continue;
        };
        let (mut functions, mut refused) = (BTreeMap::new(), BTreeMap::new());
        for function in interface.functions.values() {
            let name = wrpc_name(function);
            match convert_function(resolve, function) {
                Ok(converted) => drop(functions.insert(name.to_owned(), converted)),
                Err(what) => drop(refused.insert(name.to_owned(), what)),
            }
        }
        interfaces.insert(id.clone(), Interface { id, functions, refused });
    }
    Ok(Catalog { interfaces })
}

/// The name wRPC invokes a function by: a resource's constructor, methods and static functions lose their
/// `[constructor]`, `[method]` and `[static]` prefixes (`bucket`, `bucket.get`, `bucket.open`), as
/// wit-bindgen-wrpc names them. The names stay distinct: WIT lets no function share a resource's name, and no
/// function's name holds a dot.
fn wrpc_name(function: &wit_parser::Function) -> &str {
    let name = function.name.as_str();
    ["[constructor]", "[method]", "[static]"].iter().find_map(|prefix| name.strip_prefix(prefix)).unwrap_or(name)
}

/// Converts one function, or names what it uses that the bridge cannot carry.
fn convert_function(resolve: &Resolve, function: &wit_parser::Function) -> Result<Function, Refusal> {
    match function.kind {
        FunctionKind::Freestanding
        | FunctionKind::Method(_)
        | FunctionKind::Static(_)
        | FunctionKind::Constructor(_) => {}
        FunctionKind::AsyncFreestanding | FunctionKind::AsyncMethod(_) | FunctionKind::AsyncStatic(_) => {
            return Err("an async signature");
        }
        _ => return Err("a getter or setter"),
    }
    let params = function
        .params
        .iter()
        .map(|param| Ok((param.name.clone(), convert_type(resolve, param.ty)?)))
        .collect::<Result<_, Refusal>>()?;
    let results = function.result.map(|ty| convert_type(resolve, ty)).transpose()?.into_iter().collect();
    Ok(Function { name: wrpc_name(function).to_owned(), params, results })
}

fn convert_type(resolve: &Resolve, ty: wit_parser::Type) -> Result<Type, Refusal> {
    Ok(match ty {
        wit_parser::Type::Bool => Type::Bool,
        wit_parser::Type::U8 => Type::U8,
        wit_parser::Type::U16 => Type::U16,
        wit_parser::Type::U32 => Type::U32,
        wit_parser::Type::U64 => Type::U64,
        wit_parser::Type::S8 => Type::S8,
        wit_parser::Type::S16 => Type::S16,
        wit_parser::Type::S32 => Type::S32,
        wit_parser::Type::S64 => Type::S64,
        wit_parser::Type::F32 => Type::F32,
        wit_parser::Type::F64 => Type::F64,
        wit_parser::Type::Char => Type::Char,
        wit_parser::Type::String => Type::String,
        wit_parser::Type::ErrorContext => return Err("an error-context"),
        wit_parser::Type::Id(id) => {
            let def = resolve.types.get(id).ok_or("an unknown type")?;
            convert_kind(resolve, &def.kind)?
        }
    })
}

fn convert_kind(resolve: &Resolve, kind: &TypeDefKind) -> Result<Type, Refusal> {
    let convert = |ty| convert_type(resolve, ty);
    let convert_boxed = |ty| convert_type(resolve, ty).map(Box::new);
    Ok(match kind {
        TypeDefKind::Type(ty) => convert(*ty)?,
        TypeDefKind::Record(record) => Type::Record(
            record
                .fields
                .iter()
                .map(|field| Ok::<_, Refusal>((field.name.clone(), convert(field.ty)?)))
                .collect::<Result<_, _>>()?,
        ),
        TypeDefKind::Tuple(tuple) => Type::Tuple(tuple.types.iter().map(|ty| convert(*ty)).collect::<Result<_, _>>()?),
        TypeDefKind::Variant(variant) => Type::Variant(
            variant
                .cases
                .iter()
                .map(|case| Ok::<_, Refusal>((case.name.clone(), case.ty.map(convert).transpose()?)))
                .collect::<Result<_, _>>()?,
        ),
        TypeDefKind::Enum(enum_) => Type::Enum(enum_.cases.iter().map(|case| case.name.clone()).collect()),
        TypeDefKind::Flags(flags) => Type::Flags(flags.flags.iter().map(|flag| flag.name.clone()).collect()),
        TypeDefKind::Option(some) => Type::Option(convert_boxed(*some)?),
        TypeDefKind::Result(result) => Type::Result {
            ok: result.ok.map(convert_boxed).transpose()?,
            err: result.err.map(convert_boxed).transpose()?,
        },
        TypeDefKind::List(element) => Type::List(not_async_inside(convert_boxed(*element)?)?),
        TypeDefKind::Stream(Some(element)) => Type::Stream(not_async_inside(convert_boxed(*element)?)?),
        TypeDefKind::Stream(None) => return Err("a stream without an element type"),
        TypeDefKind::Future(value) => {
            Type::Future(value.map(convert_boxed).transpose()?.map(not_async_inside).transpose()?)
        }
        TypeDefKind::Handle(Handle::Own(resource) | Handle::Borrow(resource)) => Type::Handle {
            resource: resource_name(resolve, *resource),
            borrowed: matches!(kind, TypeDefKind::Handle(Handle::Borrow(_))),
        },
        TypeDefKind::Resource => return Err("a resource type used as a value"),
        TypeDefKind::Map(..) => return Err("a map"),
        TypeDefKind::FixedLengthList(..) => return Err("a fixed-length list"),
        TypeDefKind::Unknown => return Err("an unknown type"),
    })
}

/// Refuses a stream or future inside a list, a stream or a future: its contents would follow on a path per
/// element, which wrpc-transport 0.29 subscribes to with wildcards it never routes over TCP and Unix sockets.
fn not_async_inside(element: Box<Type>) -> Result<Box<Type>, Refusal> {
    if element.holds_async() { Err("a stream or future inside a list, a stream or a future") } else { Ok(element) }
}

/// The name of the resource `id` (through aliases: `use`d resources are type aliases of the original).
fn resource_name(resolve: &Resolve, mut id: wit_parser::TypeId) -> String {
    loop {
        let Some(def) = resolve.types.get(id) else { return String::new() };
        match &def.kind {
            TypeDefKind::Type(wit_parser::Type::Id(next)) => id = *next,
            _ => return def.name.clone().unwrap_or_default(),
        }
    }
}
