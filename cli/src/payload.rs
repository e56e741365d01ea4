//! Payloads in and answers out: JSON <-> MessagePack, raw bytes, hex.

use std::io::Read;

use rmpv::Value;

use crate::args::{Output, PayloadArgs};
use crate::failure::Failure;

/// A call's payload, and whether it came as JSON.
pub struct Payload {
    /// The bytes the guest receives.
    pub bytes: Vec<u8>,
    /// Whether the payload was JSON (so `--output auto` answers in JSON).
    pub json: bool,
}

/// The payload `args` give: JSON as MessagePack, stdin's bytes for `-`, `--raw`'s text, `--msgpack`'s file, or
/// nothing.
pub fn read(args: &PayloadArgs) -> Result<Payload, Failure> {
    let bytes = |bytes: Vec<u8>| Ok(Payload { bytes, json: false });
    if let Some(text) = &args.raw {
        return bytes(text.clone().into_bytes());
    }
    if let Some(path) = &args.msgpack {
        let read = std::fs::read(path);
        return bytes(read.map_err(|e| Failure::host(format!("cannot read the payload {}: {e}", path.display())))?);
    }
    match args.payload.as_deref() {
        None => bytes(Vec::new()),
        Some("-") => {
            let mut stdin = Vec::new();
            std::io::stdin().read_to_end(&mut stdin).map_err(|e| Failure::host(format!("cannot read stdin: {e}")))?;
            bytes(stdin)
        }
        Some(json) => Ok(Payload { bytes: json_to_msgpack(json)?, json: true }),
    }
}

/// JSON text as MessagePack: objects become maps with str keys, integers ints, other numbers floats.
fn json_to_msgpack(text: &str) -> Result<Vec<u8>, Failure> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Failure::usage(
            clap::error::ErrorKind::InvalidValue,
            format!("the payload is not JSON ({e}): quote it for the shell, or send bytes with --raw or -"),
        )
    })?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &from_json(json)).map_err(Failure::host)?;
    Ok(out)
}

fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::from(u),
            (_, Some(i), _) => Value::from(i),
            (_, _, f) => Value::F64(f.unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s.into()),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.into_iter().map(|(key, value)| (Value::String(key.into()), from_json(value))).collect())
        }
    }
}

/// The answer as `output` says, for a payload that was JSON or not.
pub fn render(answer: Vec<u8>, output: Output, payload_was_json: bool) -> Result<Vec<u8>, Failure> {
    let value = || one_value(&answer);
    Ok(match output {
        Output::Raw => answer,
        Output::Hex => {
            let mut hex: String = answer.iter().map(|byte| format!("{byte:02x}")).collect();
            hex.push('\n');
            hex.into_bytes()
        }
        Output::Msgpack => match value() {
            Some(_) => answer,
            None => return Err(not_msgpack()),
        },
        Output::Json => match value() {
            Some(value) => json_line(value),
            None => return Err(not_msgpack()),
        },
        Output::Auto => match (payload_was_json, value()) {
            (true, Some(value)) => json_line(value),
            _ => answer,
        },
    })
}

fn not_msgpack() -> Failure {
    Failure::host("the answer is not one MessagePack value: print it with --output raw or --output hex")
}

/// The answer as one MessagePack value, if it is exactly one.
fn one_value(answer: &[u8]) -> Option<Value> {
    let mut rest = answer;
    let value = rmpv::decode::read_value(&mut rest).ok()?;
    rest.is_empty().then_some(value)
}

fn json_line(value: Value) -> Vec<u8> {
    let mut line = serde_json::to_vec(&to_json(value)).unwrap_or_default();
    line.push(b'\n');
    line
}

/// A MessagePack value as JSON: bins become arrays of byte values, non-str map keys their JSON text, extension
/// values `{"ext": type, "data": [...]}`, non-finite floats null, and strs that are not UTF-8 their lossy text.
fn to_json(value: Value) -> serde_json::Value {
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Boolean(b) => serde_json::Value::Bool(b),
        Value::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => u.into(),
            (_, Some(i)) => i.into(),
            _ => serde_json::Value::Null,
        },
        Value::F32(f) => serde_json::Number::from_f64(f.into()).map_or(serde_json::Value::Null, Into::into),
        Value::F64(f) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into),
        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned().into(),
        Value::Binary(bytes) => bytes.into_iter().map(serde_json::Value::from).collect(),
        Value::Array(items) => items.into_iter().map(to_json).collect(),
        Value::Map(entries) => entries
            .into_iter()
            .map(|(key, value)| {
                let key = match key {
                    Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                    other => to_json(other).to_string(),
                };
                (key, to_json(value))
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Ext(kind, data) => serde_json::json!({ "ext": kind, "data": data }),
    }
}
