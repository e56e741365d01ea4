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
fn refuses_streams_futures_and_resources_one_function_at_a_time() {
    let cases = [
        ("f: func(s: stream<u8>);", "f", "a stream"),
        ("f: func() -> option<future<string>>;", "f", "a future"),
        ("resource r; f: func(r: borrow<r>);", "f", "a resource"),
        ("resource r; f: func() -> list<r>;", "f", "a resource"),
        ("resource r { get: func() -> u8; }", "[method]r.get", "a resource"),
        ("f: async func();", "f", "an async signature"),
        ("f: func(e: error-context);", "f", "an error-context"),
    ];
    for (body, function, what) in cases {
        let source = format!("package ns:pkg;\ninterface i {{ {body} ok: func(x: u32) -> u32; }}");
        let catalog = Catalog::parse("test.wit", &source).unwrap();
        let interface = catalog.interface("ns:pkg/i").unwrap();
        assert_eq!(interface.functions.keys().collect::<Vec<_>>(), ["ok"], "{body}");
        assert_eq!(interface.refused.get(function), Some(&what), "{body}");
        let refusal = interface.refusal(function).unwrap();
        assert!(
            matches!(&refusal, WitError::Unsupported { interface, function: f, what: w }
                if interface == "ns:pkg/i" && f == function && *w == what),
            "{body}: {refusal}"
        );
    }
    let catalog = Catalog::parse("test.wit", "package ns:pkg;\ninterface i { f: func(s: stream<u8>); }").unwrap();
    let refusal = catalog.interface("ns:pkg/i").unwrap().refusal("f").unwrap();
    assert_eq!(refusal.to_string(), "function `f` of `ns:pkg/i` uses a stream, which the bridge cannot carry");
    assert_eq!(catalog.interface("ns:pkg/i").unwrap().refusal("g"), None);
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
