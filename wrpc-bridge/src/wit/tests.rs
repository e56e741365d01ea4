use super::*;

const KV: &str = r#"
package wasi:keyvalue@0.2.0-draft;

interface types {
    type key = string;
    record entry { key: key, value: list<u8>, ttl-ms: option<u64> }
    variant error { no-such-store, access-denied, other(string) }
    enum mode { read, write }
    flags perms { read, write, admin }
}

interface store {
    use types.{key, entry, error, mode, perms};
    type entries = list<entry>;
    get: func(key: key) -> result<option<entry>, error>;
    set-many: func(entries: entries, mode: mode, perms: perms, pair: tuple<s8, char>) -> result<_, error>;
    clear: func();
}
"#;

fn invalid(source: &str) -> WitError {
    Catalog::parse("test.wit", source).expect_err("the WIT should be refused")
}

#[test]
fn loads_interfaces_with_aliases_resolved() {
    let catalog = Catalog::parse("kv.wit", KV).unwrap();
    let ids: Vec<&str> = catalog.interfaces().map(|interface| interface.id.as_str()).collect();
    assert_eq!(ids, ["wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/types@0.2.0-draft"]);
    let entry = Type::Record(vec![
        ("key".into(), Type::String),
        ("value".into(), Type::List(Box::new(Type::U8))),
        ("ttl-ms".into(), Type::Option(Box::new(Type::U64))),
    ]);
    let error = Type::Variant(vec![
        ("no-such-store".into(), None),
        ("access-denied".into(), None),
        ("other".into(), Some(Type::String)),
    ]);
    let get = catalog.function("wasi:keyvalue/store@0.2.0-draft", "get").unwrap();
    assert_eq!(
        get,
        &Function {
            name: "get".into(),
            params: vec![("key".into(), Type::String)],
            results: vec![Type::Result {
                ok: Some(Box::new(Type::Option(Box::new(entry.clone())))),
                err: Some(Box::new(error.clone())),
            }],
        }
    );
    let set_many = catalog.function("wasi:keyvalue/store@0.2.0-draft", "set-many").unwrap();
    assert_eq!(
        set_many.params,
        [
            ("entries".into(), Type::List(Box::new(entry))),
            ("mode".into(), Type::Enum(vec!["read".into(), "write".into()])),
            ("perms".into(), Type::Flags(vec!["read".into(), "write".into(), "admin".into()])),
            ("pair".into(), Type::Tuple(vec![Type::S8, Type::Char])),
        ]
    );
    assert_eq!(set_many.results, [Type::Result { ok: None, err: Some(Box::new(error)) }]);
    let clear = catalog.function("wasi:keyvalue/store@0.2.0-draft", "clear").unwrap();
    assert!(clear.params.is_empty() && clear.results.is_empty());
    assert!(catalog.function("wasi:keyvalue/store@0.2.0-draft", "nope").is_none());
    assert!(catalog.interface("wasi:keyvalue/store").is_none());
}

#[test]
fn ids_without_a_version() {
    let catalog = Catalog::parse("t.wit", "package ns:pkg;\ninterface iface { f: func() -> u8; }").unwrap();
    assert_eq!(catalog.function("ns:pkg/iface", "f").unwrap().results, [Type::U8]);
}

#[test]
fn refuses_what_it_cannot_carry_one_function_at_a_time() {
    let cases = [
        ("f: func(s: list<stream<u8>>);", "f", "a stream or future inside a list, a stream or a future"),
        ("f: func() -> stream<future<u8>>;", "f", "a stream or future inside a list, a stream or a future"),
        ("f: func() -> future<option<stream<u8>>>;", "f", "a stream or future inside a list, a stream or a future"),
        ("f: func(s: stream);", "f", "a stream without an element type"),
        ("f: async func();", "f", "an async signature"),
        ("resource r { g: async func(); }", "r.g", "an async signature"),
        ("f: func(e: error-context);", "f", "an error-context"),
    ];
    for (body, function, what) in cases {
        let source = format!("package ns:pkg;\ninterface i {{ {body} ok: func(x: u32) -> u32; }}");
        let catalog = Catalog::parse("test.wit", &source).unwrap();
        let interface = catalog.interface("ns:pkg/i").unwrap();
        assert!(!interface.functions.contains_key(function), "{body}");
        assert!(interface.functions.contains_key("ok"), "{body}");
        assert_eq!(interface.refused.get(function), Some(&what), "{body}");
        let refusal = interface.refusal(function).unwrap();
        assert!(
            matches!(&refusal, WitError::Unsupported { interface, function: f, what: w }
                if interface == "ns:pkg/i" && f == function && *w == what),
            "{body}: {refusal}"
        );
    }
    let catalog = Catalog::parse("test.wit", "package ns:pkg;\ninterface i { f: func(s: list<future>); }").unwrap();
    let refusal = catalog.interface("ns:pkg/i").unwrap().refusal("f").unwrap();
    assert_eq!(
        refusal.to_string(),
        "function `f` of `ns:pkg/i` uses a stream or future inside a list, a stream or a future, which the bridge \
         cannot carry"
    );
    assert_eq!(catalog.interface("ns:pkg/i").unwrap().refusal("g"), None);
}

#[test]
fn streams_futures_and_handles() {
    let source = r#"
package wrpc-example:doc@0.1.0;

interface example {
    record rec { a: stream<u8>, b: u32 }
    foo: func(v: rec) -> stream<u8>;
    later: func(a: future<u32>, b: future) -> tuple<u8, result<stream<string>, future<list<u8>>>>;
}

interface blobs {
    resource bucket {
        constructor(name: string);
        get: func(key: string) -> option<list<u8>>;
        open: static func(name: string) -> result<bucket, string>;
    }
    take: func(b: borrow<bucket>) -> own<bucket>;
}
"#;
    let catalog = Catalog::parse("doc.wit", source).unwrap();
    let bytes = || Type::Stream(Box::new(Type::U8));
    let foo = catalog.function("wrpc-example:doc/example@0.1.0", "foo").unwrap();
    let rec = Type::Record(vec![("a".into(), bytes()), ("b".into(), Type::U32)]);
    assert_eq!(foo, &Function { name: "foo".into(), params: vec![("v".into(), rec)], results: vec![bytes()] });
    assert_eq!(foo.param_paths(), [vec![0, 0].into_boxed_slice()]);
    assert_eq!(foo.result_paths(), [vec![0].into_boxed_slice()]);
    assert_eq!(foo.results[0].to_string(), "stream<u8>");

    let later = catalog.function("wrpc-example:doc/example@0.1.0", "later").unwrap();
    assert_eq!(later.params[1].1, Type::Future(None));
    assert_eq!(later.params[0].1.to_string(), "future<u32>");
    assert_eq!(later.param_paths(), [vec![0].into_boxed_slice(), vec![1].into_boxed_slice()]);
    // Both arms of the result share the path of their tuple element.
    assert_eq!(later.result_paths(), [vec![0, 1].into_boxed_slice()]);

    let blobs = catalog.interface("wrpc-example:doc/blobs@0.1.0").unwrap();
    let names: Vec<&str> = blobs.functions.keys().map(String::as_str).collect();
    assert_eq!(names, ["bucket", "bucket.get", "bucket.open", "take"]);
    assert!(blobs.refused.is_empty(), "{:?}", blobs.refused);
    let own = Type::Handle { resource: "bucket".into(), borrowed: false };
    let borrow = Type::Handle { resource: "bucket".into(), borrowed: true };
    assert_eq!(blobs.functions["bucket.get"].params[0], ("self".into(), borrow));
    assert_eq!(blobs.functions["bucket"].results, [own]);
    assert_eq!(blobs.functions["take"].params[0].1.to_string(), "borrow<bucket>");
    assert_eq!(blobs.functions["take"].results[0].to_string(), "own<bucket>");
    // Handles are plain bytes on the wire: no path.
    assert!(blobs.functions["take"].param_paths().is_empty());
}

#[test]
fn reports_parse_errors() {
    let err = invalid("package ns:pkg;\ninterface i { f: func(x: nope); }");
    assert!(matches!(&err, WitError::Parse(message) if message.contains("nope")), "{err}");
    // Types with nothing on the wire do not exist: a list of them could not be bounded.
    for body in ["type t = tuple<>;", "record r {}", "flags f {}", "enum e {}", "variant v {}"] {
        let err = invalid(&format!("package ns:pkg;\ninterface i {{ {body} f: func(); }}"));
        assert!(matches!(err, WitError::Parse(_)), "{body}: {err}");
    }
}

#[test]
fn loads_files_and_directories() {
    let dir = std::env::temp_dir().join(format!("wrpc-bridge-wit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kv.wit");
    std::fs::write(&file, KV).unwrap();
    let from_file = Catalog::load(&file).unwrap();
    let from_dir = Catalog::load(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_file, Catalog::parse("kv.wit", KV).unwrap());
    assert_eq!(from_dir, from_file);
    assert!(matches!(Catalog::load(&dir), Err(WitError::Parse(_))));
}
