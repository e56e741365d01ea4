//! Name cases: WIT names are kebab-case; guests may write snake_case or camelCase.

use super::msgpack;

/// How record field names and parameter names are written to msgpack. Input accepts all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameCase {
    /// `user-id`, as in WIT.
    #[default]
    Kebab,
    /// `user_id`
    Snake,
    /// `userId`
    Camel,
}

/// Whether the msgpack str `key` names the WIT name `kebab` in kebab, snake or camel case.
pub(crate) fn matches(kebab: &str, key: &[u8]) -> bool {
    let kebab = kebab.as_bytes();
    kebab == key
        || (kebab.len() == key.len() && kebab.iter().zip(key).all(|(&k, &c)| k == c || (k == b'-' && c == b'_')))
        || camel_matches(kebab, key)
}

fn camel_matches(kebab: &[u8], key: &[u8]) -> bool {
    let mut key = key.iter();
    let mut word_start = false;
    for &c in kebab {
        if c == b'-' {
            word_start = true;
            continue;
        }
        let want = if word_start { c.to_ascii_uppercase() } else { c };
        word_start = false;
        if key.next() != Some(&want) {
            return false;
        }
    }
    key.next().is_none()
}

/// Writes the WIT name `kebab` as a msgpack str in the given case.
pub(crate) fn write(out: &mut Vec<u8>, kebab: &str, case: NameCase) {
    match case {
        NameCase::Kebab => msgpack::write_str(out, kebab),
        NameCase::Snake => {
            msgpack::write_str_len(out, kebab.len());
            out.extend(kebab.bytes().map(|c| if c == b'-' { b'_' } else { c }));
        }
        NameCase::Camel => {
            let dashes = kebab.bytes().filter(|&c| c == b'-').count();
            msgpack::write_str_len(out, kebab.len() - dashes);
            let mut word_start = false;
            for c in kebab.bytes() {
                if c == b'-' {
                    word_start = true;
                } else {
                    out.push(if word_start { c.to_ascii_uppercase() } else { c });
                    word_start = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_case() {
        for key in ["user-id", "user_id", "userId"] {
            assert!(matches("user-id", key.as_bytes()), "{key}");
        }
        assert!(matches("http-status", b"httpStatus"));
        assert!(matches("name", b"name"));
    }

    #[test]
    fn rejects_other_names() {
        for key in ["userid", "UserId", "user-i", "user-idx", "user_Id", "", "user"] {
            assert!(!matches("user-id", key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn writes_every_case() {
        for (case, expected) in
            [(NameCase::Kebab, "user-id-x"), (NameCase::Snake, "user_id_x"), (NameCase::Camel, "userIdX")]
        {
            let mut out = Vec::new();
            write(&mut out, "user-id-x", case);
            let mut want = vec![0xa0 | u8::try_from(expected.len()).unwrap()];
            want.extend_from_slice(expected.as_bytes());
            assert_eq!(out, want, "{case:?}");
        }
    }
}
