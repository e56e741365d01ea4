//! Differential tests of the transcoder against the reference path: wasm-wave values encoded and
//! decoded by wrpc-wave.
//!
//! For random WIT types and values, the msgpack for a value (written with rmp, in several accepted
//! styles) must transcode to exactly the bytes wrpc-wave writes for the same wasm-wave value, and
//! those bytes must transcode back to the canonical msgpack. Errors that are not strings must
//! render as `wasm_wave::to_string` does.
//!
//! Floats: every bit pattern is generated. NaNs are canonicalised (as wasm-wave does), so a NaN
//! with a payload comes back as the canonical NaN.

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::subsequence;
use tokio_util::codec::Encoder as _;
use wasm_wave::value::{Type as WaveType, Value};
use wasm_wave::wasm::WasmValue as _;
use wrpc_bridge::transcode::{
    self, ErrorKind, NameCase, Options, Outcome, decode_params, decode_results, encode_params, encode_results,
};
use wrpc_bridge::wit::{Function, Type};

/// A value of a [`Type`], independent of both implementations.
#[derive(Debug, Clone)]
enum V {
    Bool(bool),
    Int(i128),
    F32(f32),
    F64(f64),
    Char(char),
    Str(String),
    /// The elements of a list, a tuple or a record.
    Seq(Vec<V>),
    Variant(usize, Option<Box<V>>),
    Enum(usize),
    Flags(Vec<bool>),
    Option(Option<Box<V>>),
    Result(Result<Option<Box<V>>, Option<Box<V>>>),
}

/// How the msgpack input is written; every style must give the same wire bytes.
#[derive(Debug, Clone, Copy)]
struct Style {
    records_as_arrays: bool,
    names: NameCase,
    bytes_as_arrays: bool,
    leave_out_none_fields: bool,
    keep_nan_payloads: bool,
}

/// What the transcoder writes.
const CANONICAL: Style = Style {
    records_as_arrays: false,
    names: NameCase::Kebab,
    bytes_as_arrays: false,
    leave_out_none_fields: false,
    keep_nan_payloads: false,
};

const NAMES: &[&str] =
    &["a", "b-c", "user-id", "x1", "http-status", "some", "ok", "err", "none", "true", "nan", "inf", "z"];

fn names(range: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<String>> {
    subsequence(NAMES, range).prop_map(|names| names.into_iter().map(str::to_owned).collect())
}

fn leaf_type() -> impl Strategy<Value = Type> {
    prop_oneof![
        Just(Type::Bool),
        Just(Type::S8),
        Just(Type::S16),
        Just(Type::S32),
        Just(Type::S64),
        Just(Type::U8),
        Just(Type::U16),
        Just(Type::U32),
        Just(Type::U64),
        Just(Type::F32),
        Just(Type::F64),
        Just(Type::Char),
        Just(Type::String),
        Just(Type::List(Box::new(Type::U8))),
        names(1..=5).prop_map(Type::Enum),
        (1usize..=20).prop_map(|n| Type::Flags((0..n).map(|i| format!("f{i}")).collect())),
    ]
}

fn any_type() -> impl Strategy<Value = Type> {
    leaf_type().prop_recursive(4, 24, 4, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        prop_oneof![
            boxed().prop_map(Type::List),
            vec(inner.clone(), 1..4).prop_map(Type::Tuple),
            names(1..=4).prop_flat_map({
                let inner = inner.clone();
                move |names| {
                    vec(inner.clone(), names.len())
                        .prop_map(move |types| Type::Record(names.iter().cloned().zip(types).collect()))
                }
            }),
            names(1..=4).prop_flat_map({
                let inner = inner.clone();
                move |names| {
                    vec(proptest::option::of(inner.clone()), names.len())
                        .prop_map(move |types| Type::Variant(names.iter().cloned().zip(types).collect()))
                }
            }),
            boxed().prop_map(Type::Option),
            (proptest::option::of(boxed()), proptest::option::of(boxed()))
                .prop_map(|(ok, err)| Type::Result { ok, err }),
        ]
    })
}

fn int(min: i128, max: i128) -> BoxedStrategy<V> {
    prop_oneof![Just(min), Just(max), Just(0), min..=max].prop_map(V::Int).boxed()
}

fn value(ty: &Type) -> BoxedStrategy<V> {
    let payload = |ty: &Option<Box<Type>>| match ty {
        Some(ty) => value(ty).prop_map(|v| Some(Box::new(v))).boxed(),
        None => Just(None).boxed(),
    };
    match ty {
        Type::Stream(_) | Type::Future(_) | Type::Handle { .. } => {
            unreachable!("wrpc-wave supports no streams, futures or handles: the generator makes none")
        }
        Type::Bool => any::<bool>().prop_map(V::Bool).boxed(),
        Type::S8 => int(i8::MIN.into(), i8::MAX.into()),
        Type::S16 => int(i16::MIN.into(), i16::MAX.into()),
        Type::S32 => int(i32::MIN.into(), i32::MAX.into()),
        Type::S64 => int(i64::MIN.into(), i64::MAX.into()),
        Type::U8 => int(0, u8::MAX.into()),
        Type::U16 => int(0, u16::MAX.into()),
        Type::U32 => int(0, u32::MAX.into()),
        Type::U64 => int(0, u64::MAX.into()),
        Type::F32 => prop_oneof![
            any::<u32>().prop_map(f32::from_bits),
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            Just(-0.0),
            Just(f32::MAX),
            Just(f32::MIN_POSITIVE / 4.0),
            any::<f32>(),
        ]
        .prop_map(V::F32)
        .boxed(),
        Type::F64 => prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            Just(f64::NAN),
            Just(f64::NEG_INFINITY),
            Just(f64::MIN),
            any::<f64>(),
        ]
        .prop_map(V::F64)
        .boxed(),
        Type::Char => {
            prop_oneof![any::<char>(), Just('\u{10ffff}'), Just('😀'), Just('\''), Just('\u{7}'), Just('\u{301}')]
                .prop_map(V::Char)
                .boxed()
        }
        Type::String => prop_oneof![any::<String>(), Just(String::new()), Just("\"\\\n\t'é😀\u{0}".to_owned())]
            .prop_map(V::Str)
            .boxed(),
        Type::List(element) if **element == Type::U8 => vec(any::<u8>(), 0..40)
            .prop_map(|bytes| V::Seq(bytes.into_iter().map(|b| V::Int(b.into())).collect()))
            .boxed(),
        Type::List(element) => vec(value(element), 0..4).prop_map(V::Seq).boxed(),
        Type::Tuple(types) => types.iter().map(value).collect::<Vec<_>>().prop_map(V::Seq).boxed(),
        Type::Record(fields) => fields.iter().map(|(_, ty)| value(ty)).collect::<Vec<_>>().prop_map(V::Seq).boxed(),
        Type::Variant(cases) => {
            let cases = cases.clone();
            (0..cases.len())
                .prop_flat_map(move |i| {
                    let payload = match cases.get(i).and_then(|(_, ty)| ty.as_ref()) {
                        Some(ty) => value(ty).prop_map(|v| Some(Box::new(v))).boxed(),
                        None => Just(None).boxed(),
                    };
                    payload.prop_map(move |p| V::Variant(i, p))
                })
                .boxed()
        }
        Type::Enum(cases) => (0..cases.len()).prop_map(V::Enum).boxed(),
        Type::Flags(flags) => vec(any::<bool>(), flags.len()).prop_map(V::Flags).boxed(),
        Type::Option(some) => proptest::option::of(value(some).prop_map(Box::new)).prop_map(V::Option).boxed(),
        Type::Result { ok, err } => {
            prop_oneof![payload(ok).prop_map(|p| V::Result(Ok(p))), payload(err).prop_map(|p| V::Result(Err(p)))]
                .boxed()
        }
    }
}

fn typed_value() -> impl Strategy<Value = (Type, V)> {
    any_type().prop_flat_map(|ty| value(&ty).prop_map(move |v| (ty.clone(), v)))
}

fn style() -> impl Strategy<Value = Style> {
    (any::<bool>(), 0..3, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(arrays, case, bytes, leave_out, nan)| Style {
            records_as_arrays: arrays,
            names: [NameCase::Kebab, NameCase::Snake, NameCase::Camel][case as usize],
            bytes_as_arrays: bytes,
            leave_out_none_fields: leave_out,
            keep_nan_payloads: nan,
        },
    )
}

// ---- the reference: wasm-wave values, encoded by wrpc-wave ----

fn wave_type(ty: &Type) -> WaveType {
    let wave = |ty: &Option<Box<Type>>| ty.as_deref().map(wave_type);
    match ty {
        Type::Stream(_) | Type::Future(_) | Type::Handle { .. } => {
            unreachable!("wrpc-wave supports no streams, futures or handles: the generator makes none")
        }
        Type::Bool => WaveType::BOOL,
        Type::S8 => WaveType::S8,
        Type::S16 => WaveType::S16,
        Type::S32 => WaveType::S32,
        Type::S64 => WaveType::S64,
        Type::U8 => WaveType::U8,
        Type::U16 => WaveType::U16,
        Type::U32 => WaveType::U32,
        Type::U64 => WaveType::U64,
        Type::F32 => WaveType::F32,
        Type::F64 => WaveType::F64,
        Type::Char => WaveType::CHAR,
        Type::String => WaveType::STRING,
        Type::List(element) => WaveType::list(wave_type(element)),
        Type::Tuple(types) => WaveType::tuple(types.iter().map(wave_type).collect::<Vec<_>>()).unwrap(),
        Type::Record(fields) => {
            WaveType::record(fields.iter().map(|(name, ty)| (name.as_str(), wave_type(ty)))).unwrap()
        }
        Type::Variant(cases) => {
            WaveType::variant(cases.iter().map(|(name, ty)| (name.as_str(), ty.as_ref().map(wave_type)))).unwrap()
        }
        Type::Enum(cases) => WaveType::enum_ty(cases.iter().map(String::as_str)).unwrap(),
        Type::Flags(flags) => WaveType::flags(flags.iter().map(String::as_str)).unwrap(),
        Type::Option(some) => WaveType::option(wave_type(some)),
        Type::Result { ok, err } => WaveType::result(wave(ok), wave(err)),
    }
}

fn wave_value(v: &V, ty: &Type) -> Value {
    let wty = wave_type(ty);
    let payload =
        |p: &Option<Box<V>>, ty: &Option<Box<Type>>| p.as_ref().map(|p| wave_value(p, ty.as_deref().unwrap()));
    match (v, ty) {
        (V::Bool(b), _) => Value::make_bool(*b),
        (V::Int(i), Type::S8) => Value::make_s8((*i).try_into().unwrap()),
        (V::Int(i), Type::S16) => Value::make_s16((*i).try_into().unwrap()),
        (V::Int(i), Type::S32) => Value::make_s32((*i).try_into().unwrap()),
        (V::Int(i), Type::S64) => Value::make_s64((*i).try_into().unwrap()),
        (V::Int(i), Type::U8) => Value::make_u8((*i).try_into().unwrap()),
        (V::Int(i), Type::U16) => Value::make_u16((*i).try_into().unwrap()),
        (V::Int(i), Type::U32) => Value::make_u32((*i).try_into().unwrap()),
        (V::Int(i), Type::U64) => Value::make_u64((*i).try_into().unwrap()),
        (V::F32(f), _) => Value::make_f32(*f),
        (V::F64(f), _) => Value::make_f64(*f),
        (V::Char(c), _) => Value::make_char(*c),
        (V::Str(s), _) => Value::make_string(s.into()),
        (V::Seq(items), Type::List(element)) => {
            Value::make_list(&wty, items.iter().map(|v| wave_value(v, element))).unwrap()
        }
        (V::Seq(items), Type::Tuple(types)) => {
            Value::make_tuple(&wty, items.iter().zip(types).map(|(v, ty)| wave_value(v, ty))).unwrap()
        }
        (V::Seq(items), Type::Record(fields)) => {
            Value::make_record(&wty, fields.iter().zip(items).map(|((name, ty), v)| (name.as_str(), wave_value(v, ty))))
                .unwrap()
        }
        (V::Variant(i, p), Type::Variant(cases)) => {
            let (name, ty) = &cases[*i];
            Value::make_variant(&wty, name, p.as_ref().map(|p| wave_value(p, ty.as_ref().unwrap()))).unwrap()
        }
        (V::Enum(i), Type::Enum(cases)) => Value::make_enum(&wty, &cases[*i]).unwrap(),
        (V::Flags(set), Type::Flags(flags)) => {
            Value::make_flags(&wty, flags.iter().zip(set).filter(|(_, set)| **set).map(|(name, _)| name.as_str()))
                .unwrap()
        }
        (V::Option(v), Type::Option(some)) => {
            Value::make_option(&wty, v.as_ref().map(|v| wave_value(v, some))).unwrap()
        }
        (V::Result(r), Type::Result { ok, err }) => {
            let r = match r {
                Ok(p) => Ok(payload(p, ok)),
                Err(p) => Err(payload(p, err)),
            };
            Value::make_result(&wty, r).unwrap()
        }
        (v, ty) => unreachable!("{v:?} is not a {ty}"),
    }
}

fn reference_encode(v: &V, ty: &Type) -> Vec<u8> {
    let mut buf = BytesMut::new();
    wrpc_wave::ValueEncoder::new(&wave_type(ty)).encode(&wave_value(v, ty), &mut buf).unwrap();
    buf.to_vec()
}

// ---- msgpack for a value, written with rmp ----

fn name_in(name: &str, case: NameCase) -> String {
    match case {
        NameCase::Kebab => name.to_owned(),
        NameCase::Snake => name.replace('-', "_"),
        NameCase::Camel => name
            .split('-')
            .enumerate()
            .map(|(i, word)| {
                let mut chars = word.chars();
                match (i, chars.next()) {
                    (0, _) | (_, None) => word.to_owned(),
                    (_, Some(first)) => first.to_uppercase().chain(chars).collect(),
                }
            })
            .collect(),
    }
}

fn msgpack(v: &V, ty: &Type, style: Style) -> Vec<u8> {
    let mut out = Vec::new();
    write_msgpack(&mut out, v, ty, style);
    out
}

fn write_msgpack(out: &mut Vec<u8>, v: &V, ty: &Type, style: Style) {
    use rmp::encode as mp;
    let one_entry = |out: &mut Vec<u8>, key: &str| {
        mp::write_map_len(out, 1).unwrap();
        mp::write_str(out, key).unwrap();
    };
    let payload = |out: &mut Vec<u8>, p: &Option<Box<V>>, ty: &Option<Box<Type>>| match (p, ty) {
        (Some(p), Some(ty)) => write_msgpack(out, p, ty, style),
        _ => mp::write_nil(out).unwrap(),
    };
    match (v, ty) {
        (V::Bool(b), _) => mp::write_bool(out, *b).unwrap(),
        (V::Int(i), _) => match i64::try_from(*i) {
            Ok(i) => drop(mp::write_sint(out, i).unwrap()),
            Err(_) => drop(mp::write_uint(out, (*i).try_into().unwrap()).unwrap()),
        },
        (V::F32(f), _) => {
            mp::write_f32(out, if f.is_nan() && !style.keep_nan_payloads { f32::NAN } else { *f }).unwrap()
        }
        (V::F64(f), _) => {
            mp::write_f64(out, if f.is_nan() && !style.keep_nan_payloads { f64::NAN } else { *f }).unwrap()
        }
        (V::Char(c), _) => mp::write_str(out, c.encode_utf8(&mut [0; 4])).unwrap(),
        (V::Str(s), _) => mp::write_str(out, s).unwrap(),
        (V::Seq(items), Type::List(element)) if **element == Type::U8 && !style.bytes_as_arrays => {
            let bytes: Vec<u8> =
                items.iter().map(|v| if let V::Int(i) = v { u8::try_from(*i).unwrap() } else { 0 }).collect();
            mp::write_bin(out, &bytes).unwrap();
        }
        (V::Seq(items), Type::List(element)) => {
            mp::write_array_len(out, items.len().try_into().unwrap()).unwrap();
            items.iter().for_each(|v| write_msgpack(out, v, element, style));
        }
        (V::Seq(items), Type::Tuple(types)) => {
            mp::write_array_len(out, items.len().try_into().unwrap()).unwrap();
            items.iter().zip(types).for_each(|(v, ty)| write_msgpack(out, v, ty, style));
        }
        (V::Seq(items), Type::Record(fields)) if style.records_as_arrays => {
            mp::write_array_len(out, items.len().try_into().unwrap()).unwrap();
            items.iter().zip(fields).for_each(|(v, (_, ty))| write_msgpack(out, v, ty, style));
        }
        (V::Seq(items), Type::Record(fields)) => {
            let shown: Vec<_> = fields
                .iter()
                .zip(items)
                .filter(|(_, v)| !(style.leave_out_none_fields && matches!(v, V::Option(None))))
                .collect();
            mp::write_map_len(out, shown.len().try_into().unwrap()).unwrap();
            for ((name, ty), v) in shown {
                mp::write_str(out, &name_in(name, style.names)).unwrap();
                write_msgpack(out, v, ty, style);
            }
        }
        (V::Variant(i, p), Type::Variant(cases)) => {
            let (name, ty) = &cases[*i];
            match (p, ty) {
                (Some(p), Some(ty)) => {
                    one_entry(out, name);
                    write_msgpack(out, p, ty, style);
                }
                _ => mp::write_str(out, name).unwrap(),
            }
        }
        (V::Enum(i), Type::Enum(cases)) => mp::write_str(out, &cases[*i]).unwrap(),
        (V::Flags(set), Type::Flags(flags)) => {
            let set: Vec<&String> = flags.iter().zip(set).filter(|(_, set)| **set).map(|(name, _)| name).collect();
            mp::write_array_len(out, set.len().try_into().unwrap()).unwrap();
            set.into_iter().for_each(|name| mp::write_str(out, name).unwrap());
        }
        (V::Option(None), _) => mp::write_nil(out).unwrap(),
        (V::Option(Some(v)), Type::Option(some)) => {
            if matches!(**some, Type::Option(_)) {
                one_entry(out, "some");
            }
            write_msgpack(out, v, some, style);
        }
        (V::Result(Ok(p)), Type::Result { ok, .. }) => {
            one_entry(out, "ok");
            payload(out, p, ok);
        }
        (V::Result(Err(p)), Type::Result { err, .. }) => {
            one_entry(out, "err");
            payload(out, p, err);
        }
        (v, ty) => unreachable!("{v:?} is not a {ty}"),
    }
}

fn with_param(ty: &Type) -> Function {
    Function { name: "f".into(), params: vec![("value".into(), ty.clone())], results: vec![] }
}

fn with_result(ty: &Type) -> Function {
    Function { name: "f".into(), params: vec![], results: vec![ty.clone()] }
}

fn options(names: NameCase) -> Options {
    Options { names, ..Options::default() }
}

/// What `decode_results` gives for a single result of type `ty`, which is unwrapped when it is a
/// `result`.
fn expected_outcome(v: &V, ty: &Type, names: NameCase) -> Outcome {
    let canonical = Style { names, ..CANONICAL };
    match (v, ty) {
        (V::Result(Ok(Some(p))), Type::Result { ok: Some(ty), .. }) => Outcome::Ok(msgpack(p, ty, canonical)),
        (V::Result(Ok(_)), _) => Outcome::Ok(vec![0xc0]),
        (V::Result(Err(Some(p))), Type::Result { err: Some(ty), .. }) => Outcome::Err(error_text(p, ty)),
        (V::Result(Err(_)), _) => Outcome::Err("err".into()),
        _ => Outcome::Ok(msgpack(v, ty, canonical)),
    }
}

/// A string's own text; anything else in WAVE, by wasm-wave.
fn error_text(v: &V, ty: &Type) -> String {
    match v {
        V::Str(s) => s.clone(),
        v => wasm_wave::to_string(&wave_value(v, ty)).unwrap(),
    }
}

fn check(ty: &Type, v: &V, style: Style) -> Result<(), TestCaseError> {
    let reference = reference_encode(v, ty);
    let input = msgpack(v, ty, style);

    // msgpack → wire, as a parameter and as a result of the reverse direction.
    let mut ours = Vec::new();
    encode_params(&with_param(ty), &input, &Options::default(), &mut ours)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&ours, &reference);
    if !matches!(ty, Type::Result { .. }) {
        let mut ours = Vec::new();
        encode_results(&with_result(ty), Ok(&input), &Options::default(), &mut ours).unwrap();
        prop_assert_eq!(&ours, &reference);
    }

    // The reference reads its own bytes back.
    let decoded: Value = wrpc_wave::decode_value(&reference, &wave_type(ty)).unwrap();
    prop_assert_eq!(wasm_wave::to_string(&decoded).unwrap(), wasm_wave::to_string(&wave_value(v, ty)).unwrap());

    // wire → msgpack, with trailing bytes that are not read.
    let mut wire = reference.clone();
    wire.push(0xff);
    let (used, params) = decode_params(&with_param(ty), &wire, &[], &options(style.names)).unwrap();
    prop_assert_eq!(used, reference.len());
    prop_assert_eq!(params, msgpack(v, ty, Style { names: style.names, ..CANONICAL }));
    let (used, outcome) = decode_results(&with_result(ty), &wire, &[], &Options::default()).unwrap();
    prop_assert_eq!(used, reference.len());
    prop_assert_eq!(outcome, expected_outcome(v, ty, NameCase::Kebab));

    // As the error of a single `result`: the text is the string, or WAVE.
    let failing = with_result(&Type::Result { ok: None, err: Some(Box::new(ty.clone())) });
    let mut error_wire = vec![1];
    error_wire.extend_from_slice(&reference);
    let (used, outcome) = decode_results(&failing, &error_wire, &[], &Options::default()).unwrap();
    prop_assert_eq!(used, error_wire.len());
    prop_assert_eq!(outcome, Outcome::Err(error_text(v, ty)));

    // Every truncation is incomplete, never malformed.
    for end in 0..reference.len() {
        let e = decode_params(&with_param(ty), &reference[..end], &[], &Options::default()).unwrap_err();
        prop_assert!(e.is_incomplete(), "{} bytes: {}", end, e);
        let e = decode_results(&failing, &error_wire[..=end], &[], &Options::default()).unwrap_err();
        prop_assert!(e.is_incomplete(), "{} bytes: {}", end + 1, e);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn matches_the_reference((ty, v) in typed_value(), style in style()) {
        check(&ty, &v, style)?;
    }

    #[test]
    fn never_panics_on_random_bytes(ty in any_type(), bytes in vec(any::<u8>(), 0..48)) {
        let _ = decode_params(&with_param(&ty), &bytes, &[], &Options::default());
        let _ = decode_results(&with_result(&Type::Result { ok: Some(Box::new(ty.clone())), err: Some(Box::new(ty.clone())) }), &bytes, &[], &Options::default());
        let _ = encode_params(&with_param(&ty), &bytes, &Options::default(), &mut Vec::new());
        let _ = encode_results(&with_result(&ty), Ok(&bytes), &Options::default(), &mut Vec::new());
        let _ = transcode::opaque::decode_results(&bytes);
        let _ = transcode::opaque::decode_params(&bytes);
    }
}

#[test]
fn known_encodings() {
    let cases: Vec<(Type, V, Vec<u8>)> = vec![
        (Type::U16, V::Int(1000), vec![0xe8, 0x07]),
        (Type::S32, V::Int(100_000), vec![0xa0, 0x8d, 0x06]),
        (Type::S64, V::Int(-1), vec![0x7f]),
        (Type::U64, V::Int(12345), vec![0xb9, 0x60]),
        (Type::Char, V::Char('😀'), vec![0xf0, 0x9f, 0x98, 0x80]),
        (Type::String, V::Str("hello".into()), b"\x05hello".to_vec()),
        (
            Type::Flags((0..20).map(|i| format!("f{i}")).collect()),
            V::Flags((0..20).map(|i| [0, 8, 16].contains(&i)).collect()),
            vec![1, 1, 1],
        ),
        (
            Type::Result { ok: Some(Box::new(Type::U32)), err: Some(Box::new(Type::String)) },
            V::Result(Err(Some(Box::new(V::Str("fail".into()))))),
            b"\x01\x04fail".to_vec(),
        ),
    ];
    for (ty, v, bytes) in cases {
        assert_eq!(reference_encode(&v, &ty), bytes, "{ty}");
        check(&ty, &v, CANONICAL).unwrap();
    }
}

#[test]
fn errors_name_the_path_and_the_expected_type() {
    let user = Type::Record(vec![
        ("name".into(), Type::String),
        ("tags".into(), Type::List(Box::new(Type::U8))),
        ("age".into(), Type::U8),
    ]);
    let function = Function {
        name: "add".into(),
        params: vec![("user".into(), user), ("admin".into(), Type::Bool)],
        results: vec![],
    };
    let encode = |m: &[u8]| encode_params(&function, m, &Options::default(), &mut Vec::new()).unwrap_err();

    // {"user": {"name": "x", "tags": [1, 2, 3, 256], "age": 1}, "admin": true}
    let user_with = |tags: &[u8]| {
        let mut m = b"\x82\xa4user\x83\xa4name\xa1x\xa4tags".to_vec();
        m.extend_from_slice(tags);
        m.extend_from_slice(b"\xa3age\x01\xa5admin");
        m
    };
    let mut m = user_with(b"\x94\x01\x02\x03\xcd\x01\x00");
    m.push(0xc3);
    let err = encode(&m);
    assert_eq!(err.path(), "params.user.tags[3]");
    assert_eq!(err.to_string(), "at `params.user.tags[3]`: expected u8, found the integer 256");

    // A wrong marker: a str for `admin`.
    let mut m = user_with(b"\xc4\x01\x07");
    m.push(0xa0);
    let err = encode(&m);
    assert_eq!(err.to_string(), "at `params.admin`: expected bool, found the str \"\"");

    // A str that is not UTF-8.
    let err = encode(b"\x92\x83\xa4name\xa1\xff");
    assert_eq!(err.kind(), &ErrorKind::MalformedMsgpack("a str that is not valid UTF-8"));
    assert_eq!(err.path(), "params.user.name");
}
