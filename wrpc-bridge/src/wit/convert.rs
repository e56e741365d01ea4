//! Conversion from wit-parser's resolved package to the bridge's [`Catalog`].

use std::collections::BTreeMap;

use wit_parser::{FunctionKind, PackageId, Resolve, TypeDefKind};

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
            match convert_function(resolve, function) {
                Ok(converted) => drop(functions.insert(function.name.clone(), converted)),
                Err(what) => drop(refused.insert(function.name.clone(), what)),
            }
        }
        interfaces.insert(id.clone(), Interface { id, functions, refused });
    }
    Ok(Catalog { interfaces })
}

/// Converts one function, or names what it uses that the bridge cannot carry.
fn convert_function(resolve: &Resolve, function: &wit_parser::Function) -> Result<Function, Refusal> {
    match function.kind {
        FunctionKind::Freestanding => {}
        FunctionKind::AsyncFreestanding => return Err("an async signature"),
        FunctionKind::Getter | FunctionKind::Setter => return Err("a getter or setter"),
        _ => return Err("a resource"),
    }
    let params = function
        .params
        .iter()
        .map(|param| Ok((param.name.clone(), convert_type(resolve, param.ty)?)))
        .collect::<Result<_, Refusal>>()?;
    let results = function.result.map(|ty| convert_type(resolve, ty)).transpose()?.into_iter().collect();
    Ok(Function { name: function.name.clone(), params, results })
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
        TypeDefKind::List(element) => Type::List(convert_boxed(*element)?),
        TypeDefKind::Stream(_) => return Err("a stream"),
        TypeDefKind::Future(_) => return Err("a future"),
        TypeDefKind::Handle(_) | TypeDefKind::Resource => return Err("a resource"),
        TypeDefKind::Map(..) => return Err("a map"),
        TypeDefKind::FixedLengthList(..) => return Err("a fixed-length list"),
        TypeDefKind::Unknown => return Err("an unknown type"),
    })
}
