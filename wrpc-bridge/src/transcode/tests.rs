//! The mapping table, row by row, in both directions.

use super::*;
use crate::wit::Function;

/// A msgpack value, written with rmp (independently of our writer).
#[derive(Debug, Clone)]
enum M {
    Nil,
    B(bool),
    I(i64),
    F32(f32),
    F64(f64),
    S(&'static str),
    Bin(Vec<u8>),
    A(Vec<M>),
    Map(Vec<(&'static str, M)>),
}

fn mp(m: &M) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, m);
    out
}

fn write(out: &mut Vec<u8>, m: &M) {
    match m {
        M::Nil => rmp::encode::write_nil(out).unwrap(),
        M::B(b) => rmp::encode::write_bool(out, *b).unwrap(),
        M::I(i) => {
            rmp::encode::write_sint(out, *i).unwrap();
        }
        M::F32(f) => rmp::encode::write_f32(out, *f).unwrap(),
        M::F64(f) => rmp::encode::write_f64(out, *f).unwrap(),
        M::S(s) => rmp::encode::write_str(out, s).unwrap(),
        M::Bin(b) => rmp::encode::write_bin(out, b).unwrap(),
        M::A(items) => {
            rmp::encode::write_array_len(out, items.len().try_into().unwrap()).unwrap();
            items.iter().for_each(|item| write(out, item));
        }
        M::Map(entries) => {
            rmp::encode::write_map_len(out, entries.len().try_into().unwrap()).unwrap();
            for (key, value) in entries {
                rmp::encode::write_str(out, key).unwrap();
                write(out, value);
            }
        }
    }
}

fn func(params: &[(&str, Type)], results: &[Type]) -> Function {
    Function {
        name: "f".into(),
        params: params.iter().map(|(name, ty)| ((*name).to_owned(), ty.clone())).collect(),
        results: results.to_vec(),
    }
}

fn one(ty: &Type) -> Function {
    func(&[("value", ty.clone())], std::slice::from_ref(ty))
}

fn opt(ty: Type) -> Type {
    Type::Option(Box::new(ty))
}

fn list(ty: Type) -> Type {
    Type::List(Box::new(ty))
}

fn result(ok: Option<Type>, err: Option<Type>) -> Type {
    Type::Result { ok: ok.map(Box::new), err: err.map(Box::new) }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|&name| name.to_owned()).collect()
}

fn user() -> Type {
    Type::Record(vec![("user-name".into(), Type::String), ("age".into(), Type::U8), ("nick".into(), opt(Type::String))])
}

fn encode(function: &Function, m: &M) -> Result<Vec<u8>, TranscodeError> {
    let mut out = Vec::new();
    encode_params(function, &mp(m), &Options::default(), &mut out)?;
    Ok(out)
}

fn encode_ok(function: &Function, m: &M) -> Vec<u8> {
    encode(function, m).unwrap_or_else(|e| panic!("{m:?}: {e}"))
}

/// Encodes `m` as the single parameter of type `ty`, and decodes it back as the single result.
fn round_trip(ty: &Type, m: &M, wire: &[u8]) {
    let function = one(ty);
    assert_eq!(encode_ok(&function, m), wire, "{m:?}");
    let (used, outcome) = decode_results(&function, wire, &[], &Options::default()).unwrap();
    assert_eq!((used, outcome), (wire.len(), Outcome::Ok(mp(m))));
}

fn encode_err(function: &Function, m: &M) -> TranscodeError {
    encode(function, m).expect_err("the payload should be refused")
}

#[test]
fn no_params_accept_nil_or_nothing() {
    let function = func(&[], &[]);
    for input in [vec![], mp(&M::Nil), mp(&M::A(vec![])), mp(&M::Map(vec![]))] {
        let mut out = vec![7];
        encode_params(&function, &input, &Options::default(), &mut out).unwrap();
        assert_eq!(out, [7]);
    }
    let err = encode_err(&function, &M::I(1));
    assert_eq!(err.to_string(), "at `params`: expected nil (there are no parameters), found the integer 1");
}

#[test]
fn one_param_is_the_bare_value() {
    assert_eq!(encode_ok(&func(&[("n", Type::U32)], &[]), &M::I(300)), [0xac, 0x02]);
    assert_eq!(encode_ok(&func(&[("s", Type::String)], &[]), &M::S("hi")), [2, b'h', b'i']);
}

#[test]
fn params_by_position_or_by_name_in_any_case() {
    let function = func(&[("user-id", Type::U16), ("display-name", Type::String), ("admin", Type::Bool)], &[]);
    let wire = [5, 1, b'x', 1];
    assert_eq!(encode_ok(&function, &M::A(vec![M::I(5), M::S("x"), M::B(true)])), wire);
    for (a, b) in [("user-id", "display-name"), ("user_id", "display_name"), ("userId", "displayName")] {
        let map = M::Map(vec![(a, M::I(5)), (b, M::S("x")), ("admin", M::B(true))]);
        assert_eq!(encode_ok(&function, &map), wire);
    }
    // Out of order.
    let map = M::Map(vec![("admin", M::B(true)), ("displayName", M::S("x")), ("user_id", M::I(5))]);
    assert_eq!(encode_ok(&function, &map), wire);
}

#[test]
fn param_map_errors() {
    let function = func(&[("a", Type::U8), ("b", opt(Type::U8))], &[]);
    // A left-out option is none.
    assert_eq!(encode_ok(&function, &M::Map(vec![("a", M::I(1))])), [1, 0]);
    assert_eq!(encode_ok(&function, &M::Map(vec![("b", M::I(2)), ("a", M::I(1))])), [1, 1, 2]);
    let kind = |m| encode_err(&function, &m).kind().clone();
    assert_eq!(kind(M::Map(vec![("b", M::I(2))])), ErrorKind::MissingField("a".into()));
    assert_eq!(kind(M::Map(vec![("a", M::I(1)), ("c", M::I(2))])), ErrorKind::UnknownField("c".into()));
    assert_eq!(kind(M::Map(vec![("a", M::I(1)), ("a", M::I(2))])), ErrorKind::DuplicateField("a".into()));
    assert_eq!(kind(M::Map(vec![("b", M::I(1)), ("b", M::I(2))])), ErrorKind::DuplicateField("b".into()));
    assert_eq!(kind(M::A(vec![M::I(1)])), ErrorKind::Length { expected: 2, found: 1 });
    assert!(matches!(kind(M::S("x")), ErrorKind::Mismatch { .. }));
    let err = encode_err(&function, &M::Map(vec![("b", M::Nil), ("a", M::I(-1))]));
    assert_eq!(err.to_string(), "at `params.a`: expected u8, found the integer -1");
}

#[test]
fn trailing_bytes_are_refused() {
    let mut input = mp(&M::I(1));
    input.push(0xc0);
    let mut out = Vec::new();
    let err = encode_params(&func(&[("n", Type::U8)], &[]), &input, &Options::default(), &mut out).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TrailingBytes(1));
    assert!(out.is_empty());
}

#[test]
fn integers_are_range_checked() {
    round_trip(&Type::U8, &M::I(255), &[255]);
    round_trip(&Type::S8, &M::I(-128), &[0x80]);
    round_trip(&Type::S16, &M::I(-32768), &[0x80, 0x80, 0x7e]);
    round_trip(&Type::U64, &M::I(i64::MAX), &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    round_trip(&Type::S64, &M::I(i64::MIN), &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
    let mut u64_max = Vec::new();
    rmp::encode::write_u64(&mut u64_max, u64::MAX).unwrap();
    let mut out = Vec::new();
    encode_params(&one(&Type::U64), &u64_max, &Options::default(), &mut out).unwrap();
    assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert_eq!(decode_results(&one(&Type::U64), &out, &[], &Options::default()).unwrap().1, Outcome::Ok(u64_max));

    let user = func(&[("user", user())], &[]);
    let err = encode_err(&user, &M::Map(vec![("user-name", M::S("a")), ("age", M::I(300))]));
    assert_eq!(err.path(), "params.user.age");
    assert_eq!(err.to_string(), "at `params.user.age`: expected u8, found the integer 300");
    for (ty, m) in [(Type::U8, M::I(-1)), (Type::S8, M::I(128)), (Type::U32, M::F64(1.0)), (Type::S64, M::B(true))] {
        assert!(matches!(encode_err(&one(&ty), &m).kind(), ErrorKind::Mismatch { .. }), "{ty}: {m:?}");
    }
}

#[test]
fn floats_accept_ints_and_canonicalise_nan() {
    round_trip(&Type::F32, &M::F32(1.5), &1.5f32.to_le_bytes());
    round_trip(&Type::F64, &M::F64(-0.0), &(-0.0f64).to_le_bytes());
    round_trip(&Type::F64, &M::F64(f64::INFINITY), &f64::INFINITY.to_le_bytes());
    assert_eq!(encode_ok(&one(&Type::F64), &M::I(-3)), (-3.0f64).to_le_bytes());
    assert_eq!(encode_ok(&one(&Type::F32), &M::F64(0.1)), 0.1f32.to_le_bytes());
    let odd_nan = f32::from_bits(0x7fc0_0001);
    assert_eq!(encode_ok(&one(&Type::F32), &M::F32(odd_nan)), [0, 0, 0xc0, 0x7f]);
    let (_, outcome) = decode_results(&one(&Type::F32), &odd_nan.to_le_bytes(), &[], &Options::default()).unwrap();
    assert_eq!(outcome, Outcome::Ok(vec![0xca, 0x7f, 0xc0, 0, 0]));
    let err = encode_err(&one(&Type::F32), &M::F64(1e300));
    assert_eq!(err.to_string(), "at `params.value`: expected f32, found the float 1e300");
}

#[test]
fn chars_are_one_scalar_value() {
    round_trip(&Type::Char, &M::S("😀"), &[0xf0, 0x9f, 0x98, 0x80]);
    round_trip(&Type::Char, &M::S("a"), b"a");
    for s in ["", "ab", "e\u{301}"] {
        let err = encode_err(&one(&Type::Char), &M::S(s));
        assert!(matches!(err.kind(), ErrorKind::Mismatch { expected, .. } if expected == "char"), "{s:?}: {err}");
    }
}

#[test]
fn strings_must_be_utf8() {
    round_trip(&Type::String, &M::S(""), &[0]);
    let mut out = Vec::new();
    let err = encode_params(&one(&Type::String), &[0xa2, 0xc3, 0x28], &Options::default(), &mut out).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::MalformedMsgpack("a str that is not valid UTF-8"));
    let err = decode_results(&one(&Type::String), &[2, 0xc3, 0x28], &[], &Options::default()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::MalformedWire("a string that is not valid UTF-8".into()));
    assert_eq!(err.path(), "results[0]");
}

#[test]
fn byte_lists_are_bin() {
    let bytes = list(Type::U8);
    round_trip(&bytes, &M::Bin(vec![1, 2, 255]), &[3, 1, 2, 255]);
    round_trip(&bytes, &M::Bin(vec![]), &[0]);
    assert_eq!(encode_ok(&one(&bytes), &M::A(vec![M::I(1), M::I(255)])), [2, 1, 255]);
    let err = encode_err(&one(&bytes), &M::A(vec![M::I(1), M::I(256)]));
    assert_eq!(err.path(), "params.value[1]");
    // Other lists take arrays only.
    round_trip(&list(Type::U16), &M::A(vec![M::I(1), M::I(300)]), &[2, 1, 0xac, 0x02]);
    assert!(matches!(encode_err(&one(&list(Type::S8)), &M::Bin(vec![1])).kind(), ErrorKind::Mismatch { .. }));
}

#[test]
fn tuples_are_arrays_of_exact_length() {
    let ty = Type::Tuple(vec![Type::U8, Type::String]);
    round_trip(&ty, &M::A(vec![M::I(7), M::S("x")]), &[7, 1, b'x']);
    assert_eq!(encode_err(&one(&ty), &M::A(vec![M::I(7)])).kind(), &ErrorKind::Length { expected: 2, found: 1 });
}

#[test]
fn records_are_maps_or_arrays() {
    let ty = user();
    let wire = [3, b'b', b'o', b'b', 42, 0];
    let canonical = M::Map(vec![("user-name", M::S("bob")), ("age", M::I(42)), ("nick", M::Nil)]);
    round_trip(&ty, &canonical, &wire);
    assert_eq!(encode_ok(&one(&ty), &M::A(vec![M::S("bob"), M::I(42), M::Nil])), wire);
    assert_eq!(encode_ok(&one(&ty), &M::Map(vec![("age", M::I(42)), ("userName", M::S("bob"))])), wire);
    for (case, name) in [(NameCase::Snake, "user_name"), (NameCase::Camel, "userName")] {
        let (_, outcome) =
            decode_results(&one(&ty), &wire, &[], &Options { names: case, ..Options::default() }).unwrap();
        let expected = M::Map(vec![(name, M::S("bob")), ("age", M::I(42)), ("nick", M::Nil)]);
        assert_eq!(outcome, Outcome::Ok(mp(&expected)));
    }
}

#[test]
fn enums_and_variants() {
    let color = Type::Enum(names(&["red", "dark-blue"]));
    round_trip(&color, &M::S("dark-blue"), &[1]);
    assert_eq!(encode_ok(&one(&color), &M::S("darkBlue")), [1]);
    assert_eq!(encode_err(&one(&color), &M::S("green")).kind(), &ErrorKind::UnknownCase("green".into()));

    let shape = Type::Variant(vec![("none".into(), None), ("circle".into(), Some(Type::F32))]);
    round_trip(&shape, &M::S("none"), &[0]);
    let mut circle = vec![1];
    circle.extend_from_slice(&2.0f32.to_le_bytes());
    round_trip(&shape, &M::Map(vec![("circle", M::F32(2.0))]), &circle);
    assert_eq!(encode_ok(&one(&shape), &M::Map(vec![("none", M::Nil)])), [0]);
    assert_eq!(encode_err(&one(&shape), &M::S("circle")).kind(), &ErrorKind::MissingPayload("circle".into()));
    let err = encode_err(&one(&shape), &M::Map(vec![("circle", M::S("big"))]));
    assert_eq!(err.to_string(), "at `params.value.circle`: expected f32, found the str \"big\"");

    // Discriminants are LEB128: case 200 takes two bytes.
    let many = Type::Enum((0..300).map(|i| format!("c{i}")).collect());
    let mut input = Vec::new();
    rmp::encode::write_str(&mut input, "c200").unwrap();
    let mut out = Vec::new();
    encode_params(&one(&many), &input, &Options::default(), &mut out).unwrap();
    assert_eq!(out, [0xc8, 0x01]);
    assert_eq!(decode_results(&one(&many), &out, &[], &Options::default()).unwrap().1, Outcome::Ok(input));
}

#[test]
fn flags_are_arrays_of_names() {
    let ty = Type::Flags(names(&["read", "write", "exec"]));
    round_trip(&ty, &M::A(vec![M::S("read"), M::S("exec")]), &[0b101]);
    round_trip(&ty, &M::A(vec![]), &[0]);
    assert_eq!(encode_err(&one(&ty), &M::A(vec![M::S("all")])).kind(), &ErrorKind::UnknownFlag("all".into()));
    let wide = Type::Flags((0..17).map(|i| format!("f{i}")).collect());
    round_trip(&wide, &M::A(vec![M::S("f0"), M::S("f9"), M::S("f16")]), &[1, 2, 1]);
    let err = decode_results(&one(&ty), &[0b1000], &[], &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MalformedWire(_)));
}

#[test]
fn options_nest_with_some_maps() {
    let ty = opt(Type::U32);
    round_trip(&ty, &M::Nil, &[0]);
    round_trip(&ty, &M::I(5), &[1, 5]);
    let nested = opt(opt(Type::U32));
    round_trip(&nested, &M::Nil, &[0]);
    round_trip(&nested, &M::Map(vec![("some", M::Nil)]), &[1, 0]);
    round_trip(&nested, &M::Map(vec![("some", M::I(5))]), &[1, 1, 5]);
    assert!(matches!(encode_err(&one(&nested), &M::I(5)).kind(), ErrorKind::Mismatch { .. }));
    assert_eq!(
        encode_err(&one(&nested), &M::Map(vec![("none", M::Nil)])).kind(),
        &ErrorKind::UnknownCase("none".into())
    );
    // An option of a result is not wrapped: a result is never nil.
    round_trip(&opt(result(None, None)), &M::Map(vec![("ok", M::Nil)]), &[1, 0]);
}

#[test]
fn nested_results_are_ok_or_err_maps() {
    let ty = list(result(Some(Type::U8), Some(Type::String)));
    round_trip(
        &ty,
        &M::A(vec![M::Map(vec![("ok", M::I(1))]), M::Map(vec![("err", M::S("x"))])]),
        &[2, 0, 1, 1, 1, b'x'],
    );
    let bare = list(result(None, None));
    round_trip(&bare, &M::A(vec![M::Map(vec![("ok", M::Nil)]), M::Map(vec![("err", M::Nil)])]), &[2, 0, 1]);
    assert_eq!(encode_ok(&one(&bare), &M::A(vec![M::S("err")])), [1, 1]);
    let err = encode_err(&one(&ty), &M::A(vec![M::S("ok")]));
    assert_eq!(err.kind(), &ErrorKind::MissingPayload("ok".into()));
    assert_eq!(err.path(), "params.value[0]");
}

#[test]
fn results_none_one_many() {
    let options = Options::default();
    assert_eq!(decode_results(&func(&[], &[]), &[9], &[], &options).unwrap(), (0, Outcome::Ok(mp(&M::Nil))));
    assert_eq!(
        decode_results(&func(&[], &[Type::U8]), &[9, 9], &[], &options).unwrap(),
        (1, Outcome::Ok(mp(&M::I(9))))
    );
    let two = func(&[], &[Type::U8, Type::Bool]);
    assert_eq!(
        decode_results(&two, &[9, 1], &[], &options).unwrap(),
        (2, Outcome::Ok(mp(&M::A(vec![M::I(9), M::B(true)]))))
    );
}

#[test]
fn a_single_result_is_unwrapped() {
    let options = Options::default();
    let get = func(&[], &[result(Some(user()), Some(Type::String))]);
    let ok = [0, 1, b'a', 7, 1, 1, b'b'];
    let expected = M::Map(vec![("user-name", M::S("a")), ("age", M::I(7)), ("nick", M::S("b"))]);
    assert_eq!(decode_results(&get, &ok, &[], &options).unwrap(), (ok.len(), Outcome::Ok(mp(&expected))));
    assert_eq!(decode_results(&get, b"\x01\x04gone", &[], &options).unwrap(), (6, Outcome::Err("gone".into())));

    let unit = func(&[], &[result(None, None)]);
    assert_eq!(decode_results(&unit, &[0], &[], &options).unwrap(), (1, Outcome::Ok(mp(&M::Nil))));
    assert_eq!(decode_results(&unit, &[1], &[], &options).unwrap(), (1, Outcome::Err("err".into())));

    let error = Type::Variant(vec![("not-found".into(), None), ("other".into(), Some(Type::String))]);
    let typed = func(&[], &[result(None, Some(error))]);
    assert_eq!(decode_results(&typed, &[1, 0], &[], &options).unwrap().1, Outcome::Err("not-found".into()));
    assert_eq!(
        decode_results(&typed, b"\x01\x01\x02no", &[], &options).unwrap().1,
        Outcome::Err("other(\"no\")".into())
    );

    let err = decode_results(&get, &[0, 1, b'a', 7, 2], &[], &options).unwrap_err();
    assert_eq!(err.path(), "results[0].ok.nick");
    assert_eq!(err.kind(), &ErrorKind::MalformedWire("invalid option tag byte 2".into()));
}

#[test]
fn truncated_results_are_incomplete() {
    let get = func(&[], &[result(Some(user()), Some(Type::String))]);
    let ok = [0, 1, b'a', 7, 1, 1, b'b'];
    for end in 0..ok.len() {
        let err = decode_results(&get, ok.get(..end).unwrap(), &[], &Options::default()).unwrap_err();
        assert!(err.is_incomplete(), "{end}: {err}");
    }
    let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(decode_results(&one(&list(Type::U32)), &huge, &[], &Options::default()).unwrap_err().is_incomplete());
    assert!(decode_results(&one(&list(Type::U8)), &huge, &[], &Options::default()).unwrap_err().is_incomplete());
}

#[test]
fn params_from_the_wire() {
    let options = Options { names: NameCase::Camel, ..Options::default() };
    assert_eq!(decode_params(&func(&[], &[]), &[1], &[], &options).unwrap(), (0, mp(&M::Nil)));
    assert_eq!(
        decode_params(&func(&[("key", Type::String)], &[]), b"\x01k", &[], &options).unwrap(),
        (2, mp(&M::S("k")))
    );
    let two = func(&[("bucket-name", Type::String), ("delta", Type::S64)], &[]);
    let expected = M::Map(vec![("bucketName", M::S("b")), ("delta", M::I(-1))]);
    assert_eq!(decode_params(&two, b"\x01b\x7f", &[], &options).unwrap(), (3, mp(&expected)));
    let err = decode_params(&two, b"\x01b", &[], &options).unwrap_err();
    assert!(err.is_incomplete());
    let err = decode_params(&two, b"\x01\xff\x7f", &[], &options).unwrap_err();
    assert_eq!(err.path(), "params.bucket-name");
}

#[test]
fn results_to_the_wire() {
    let encode = |function: &Function, response: Result<&[u8], &str>| {
        let mut out = vec![9];
        encode_results(function, response, &Options::default(), &mut out).map(|()| out)
    };
    let get = func(&[], &[result(Some(Type::U32), Some(Type::String))]);
    assert_eq!(encode(&get, Ok(&mp(&M::I(300)))).unwrap(), [9, 0, 0xac, 0x02]);
    assert_eq!(encode(&get, Err("no")).unwrap(), [9, 1, 2, b'n', b'o']);
    let unit = func(&[], &[result(None, None)]);
    assert_eq!(encode(&unit, Ok(b"anything")).unwrap(), [9, 0]);
    assert_eq!(encode(&unit, Err("lost")).unwrap(), [9, 1]);
    let plain = func(&[], &[Type::String]);
    assert_eq!(encode(&plain, Ok(&mp(&M::S("x")))).unwrap(), [9, 1, b'x']);
    let none = func(&[], &[]);
    assert_eq!(encode(&none, Ok(&[])).unwrap(), [9]);
    let typed_err = func(&[], &[result(None, Some(Type::U8))]);
    for function in [&plain, &none, &typed_err] {
        let err = encode(function, Err("boom")).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::ErrorNotCarried("boom".into()));
    }
    let err = encode(&get, Ok(&mp(&M::S("x")))).unwrap_err();
    assert_eq!(err.to_string(), "at `results[0].ok`: expected u32, found the str \"x\"");
    let two = func(&[], &[Type::U8, Type::Bool]);
    assert_eq!(encode(&two, Ok(&mp(&M::A(vec![M::I(1), M::B(false)])))).unwrap(), [9, 1, 0]);
    assert_eq!(
        encode(&two, Ok(&mp(&M::A(vec![M::I(1)])))).unwrap_err().kind(),
        &ErrorKind::Length { expected: 2, found: 1 }
    );
}

#[test]
fn opaque_bytes_pass_through() {
    let mut out = Vec::new();
    opaque::encode_params(b"hey", &mut out);
    assert_eq!(out, b"\x03hey");
    assert_eq!(opaque::decode_params(&out).unwrap(), (4, &b"hey"[..]));
    assert!(opaque::decode_params(b"\x03he").unwrap_err().is_incomplete());

    let mut out = Vec::new();
    opaque::encode_results(Ok(b"ok!"), &mut out);
    opaque::encode_results(Err("bad"), &mut out);
    assert_eq!(out, b"\x00\x03ok!\x01\x03bad");
    assert_eq!(opaque::decode_results(&out).unwrap(), (5, Outcome::Ok(b"ok!".to_vec())));
    assert_eq!(opaque::decode_results(out.get(5..).unwrap()).unwrap(), (5, Outcome::Err("bad".into())));
    assert!(opaque::decode_results(&out[..4]).unwrap_err().is_incomplete());
    let err = opaque::decode_results(&[2]).unwrap_err();
    assert_eq!(err.to_string(), "at `results[0]`: malformed wRPC value: invalid result tag byte 2");

    // The typed path agrees with the opaque one on the opaque signature, with bin payloads.
    let signature = opaque::signature("op");
    let mut typed = Vec::new();
    encode_params(&signature, &mp(&M::Bin(b"hey".to_vec())), &Options::default(), &mut typed).unwrap();
    assert_eq!(typed, b"\x03hey");
    assert_eq!(
        decode_results(&signature, b"\x01\x03bad", &[], &Options::default()).unwrap().1,
        Outcome::Err("bad".into())
    );
}

#[test]
fn output_is_capped_where_values_expand() {
    let capped = |max_output_bytes| Options { max_output_bytes, ..Options::default() };
    // Wire -> msgpack: one byte of flags becomes eight names.
    let flags = list(Type::Flags((0..8).map(|i| format!("flag-number-{i}")).collect()));
    let wire = [&[100][..], &[0xff; 100]].concat();
    let function = func(&[("value", flags.clone())], &[flags]);
    assert_eq!(decode_params(&function, &wire, &[], &capped(usize::MAX)).unwrap().0, wire.len());
    let err = decode_params(&function, &wire, &[], &capped(1000)).unwrap_err();
    assert_eq!(err.to_string(), "at `params.value`: the value takes more than the cap of 1000 bytes");
    let err = decode_results(&function, &wire, &[], &capped(1000)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 1000 });

    // msgpack -> wire: an empty map is one byte, and one byte per `option` field it leaves out.
    let sparse = list(Type::Record((0..50).map(|i| (format!("field-{i}"), opt(Type::U8))).collect()));
    let empties = M::A(vec![M::Map(vec![]); 100]);
    let function = one(&sparse);
    let mut out = Vec::new();
    encode_params(&function, &mp(&empties), &capped(usize::MAX), &mut out).unwrap();
    assert_eq!(out.len(), 1 + 100 * 50);
    let mut out = Vec::new();
    let err = encode_params(&function, &mp(&empties), &capped(1000), &mut out).unwrap_err();
    assert_eq!(err.to_string(), "at `params.value`: the value takes more than the cap of 1000 bytes");
    assert!(out.is_empty());
    let err = encode_results(&function, Ok(&mp(&empties)), &capped(1000), &mut out).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 1000 });
    // A value without lists is checked once it is written.
    let err = encode_params(&one(&Type::String), &mp(&M::S("twelve bytes")), &capped(12), &mut out).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 12 });
}

/// Parameters of every kind of type, as msgpack.
fn scanned_params() -> (Function, M) {
    let ty = Type::Record(vec![
        ("name".into(), Type::String),
        ("counts".into(), list(Type::U32)),
        ("bytes".into(), list(Type::U8)),
        ("maybe".into(), opt(Type::S64)),
        ("pair".into(), Type::Tuple(vec![Type::F64, Type::Char])),
        ("shape".into(), Type::Variant(vec![("dot".into(), None), ("line".into(), Some(Type::F32))])),
        ("mode".into(), Type::Enum(names(&["on", "off"]))),
        ("bits".into(), Type::Flags(names(&["a", "b"]))),
        ("outcome".into(), result(Some(Type::U16), Some(Type::String))),
    ]);
    let function = func(&[("first", ty), ("second", Type::Bool)], &[]);
    let value = M::Map(vec![
        ("name", M::S("scanner")),
        ("counts", M::A(vec![M::I(1), M::I(300), M::I(70_000)])),
        ("bytes", M::Bin(vec![1, 2, 3, 4])),
        ("maybe", M::I(-5_000_000_000)),
        ("pair", M::A(vec![M::F64(0.5), M::S("é")])),
        ("shape", M::Map(vec![("line", M::F32(2.0))])),
        ("mode", M::S("off")),
        ("bits", M::A(vec![M::S("b")])),
        ("outcome", M::Map(vec![("err", M::S("no"))])),
    ]);
    (function, M::A(vec![value, M::B(true)]))
}

#[test]
fn the_scanner_finds_the_end_of_parameters_arriving_a_byte_at_a_time() {
    let (function, params) = scanned_params();
    let wire = encode_ok(&function, &params);
    let mut scanner = WireScanner::params(&function.params, 1024);
    for end in 0..wire.len() {
        assert_eq!(scanner.scan(&wire[..end]).unwrap(), None, "complete after {end} of {} bytes", wire.len());
        assert_eq!(WireScanner::params(&function.params, 1024).scan(&wire[..end]).unwrap(), None);
    }
    assert_eq!(scanner.scan(&wire).unwrap(), Some(wire.len()));
    let trailing = [&wire[..], b"more"].concat();
    assert_eq!(WireScanner::params(&function.params, 1024).scan(&trailing).unwrap(), Some(wire.len()));
    assert_eq!(WireScanner::params(&[], 1024).scan(&[]).unwrap(), Some(0));
}

#[test]
fn the_scanner_refuses_what_cannot_be_the_parameters() {
    let (function, _) = scanned_params();
    // An option tag of 2 in `maybe`, after `name`, `counts` and `bytes`.
    let bad_tag = [&[1, b'x', 0, 0][..], &[2]].concat();
    let err = WireScanner::params(&function.params, 1024).scan(&bad_tag).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::MalformedWire("invalid option tag byte 2".into()));
    // Lengths and counts beyond the cap are refused before their bytes arrive.
    let long_string = [0xff, 0xff, 0xff, 0xff, 0x0f];
    let err = WireScanner::params(&function.params, 1 << 20).scan(&long_string).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 1 << 20 });
    let many = [0, 0x81, 0x08];
    let err = WireScanner::params(&function.params, 1000).scan(&many).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 1000 });
}

fn stream(element: Type) -> Type {
    Type::Stream(Box::new(element))
}

#[test]
fn streams_futures_and_handles_inline() {
    // Written inline; an empty stream is 00, which the wire reads as pending.
    round_trip(&stream(Type::U8), &M::Bin(vec![1, 2]), &[2, 1, 2]);
    round_trip(&stream(Type::String), &M::A(vec![M::S("a")]), &[1, 1, b'a']);
    round_trip(&Type::Future(Some(Box::new(Type::U32))), &M::I(300), &[1, 0xac, 0x02]);
    round_trip(&Type::Handle { resource: "r".into(), borrowed: false }, &M::Bin(b"h".to_vec()), &[1, b'h']);
    assert_eq!(encode_ok(&one(&stream(Type::U8)), &M::Bin(vec![])), [0]);
    assert_eq!(encode_ok(&one(&Type::Future(None)), &M::Nil), [1]);
    let err = encode_err(&one(&Type::Handle { resource: "r".into(), borrowed: true }), &M::S("h"));
    assert_eq!(err.to_string(), "at `params.value`: expected bin (the bytes of a borrow<r>), found the str \"h\"");
}

#[test]
fn the_scanner_finds_pending_values_and_their_paths() {
    // params (s: string, v: rec { a: u8, b: tuple<u8, stream<u8>> }, f: option<future<u32>>)
    let rec = Type::Record(vec![("a".into(), Type::U8), ("b".into(), Type::Tuple(vec![Type::U8, stream(Type::U8)]))]);
    let future = Type::Future(Some(Box::new(Type::U32)));
    let function = func(&[("s", Type::String), ("v", rec), ("f", opt(future.clone()))], &[]);
    let wire = [1, b'x', 5, 6, 0x00, 1, 0x00];
    let mut scanner = WireScanner::params(&function.params, 1 << 20);
    assert_eq!(scanner.scan(&wire[..4]).unwrap(), None);
    assert_eq!(scanner.scan(&wire).unwrap(), Some(wire.len()));
    let paths: Vec<(&[usize], String)> = scanner.deferred().iter().map(|p| (&*p.path, p.ty.to_string())).collect();
    assert_eq!(paths, [(&[1, 1, 1][..], "stream<u8>".to_owned()), (&[2][..], "future<u32>".to_owned())]);
    assert_eq!(stream_ends(WireScanner::params(&function.params, 1 << 20), &wire).unwrap().len(), 2);

    // Their contents, received on those paths: chunks up to the empty one, and the future's value.
    let bytes = stream(Type::U8);
    let mut chunks = WireScanner::contents(&bytes, 1 << 20);
    assert_eq!(chunks.scan(&[2, 7, 7, 1]).unwrap(), None);
    assert_eq!(chunks.scan(&[2, 7, 7, 1, 8, 0]).unwrap(), Some(6));
    assert_eq!(chunks.elements(), 3);
    let received = [Received { wire: vec![2, 7, 7, 1, 8, 0], elements: 3 }, Received { wire: vec![9], elements: 0 }];
    let (used, params) = decode_params(&function, &wire, &received, &Options::default()).unwrap();
    assert_eq!(used, wire.len());
    let b = M::A(vec![M::I(6), M::Bin(vec![7, 7, 8])]);
    assert_eq!(
        params,
        mp(&M::Map(vec![("s", M::S("x")), ("v", M::Map(vec![("a", M::I(5)), ("b", b)])), ("f", M::I(9))]))
    );
    // Without them, decoding says so.
    let err = decode_params(&function, &wire, &[], &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at `params.v.b[1]`: malformed wRPC value: a stream or future sent pending whose contents did not arrive"
    );
}
