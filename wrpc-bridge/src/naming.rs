//! WIT names (kebab-case) and the spellings guests use for them (camelCase, PascalCase, snake_case).

use std::borrow::Cow;

/// `name` in kebab-case, as WIT spells functions and fields: `getValue`, `GetValue` and `get_value` all become
/// `get-value`; `HTTPServer` becomes `http-server`. A name already in kebab-case is borrowed unchanged.
///
/// ```
/// # use wrpc_bridge::naming::to_kebab;
/// assert_eq!(to_kebab("Increment"), "increment");
/// assert_eq!(to_kebab("getValue"), "get-value");
/// assert_eq!(to_kebab("get_value"), "get-value");
/// assert_eq!(to_kebab("HTTPServer"), "http-server");
/// assert_eq!(to_kebab("get-many"), "get-many");
/// // A resource's functions: each side of the dot on its own.
/// assert_eq!(to_kebab("myBucket.getValue"), "my-bucket.get-value");
/// assert_eq!(to_kebab("my_bucket.get_value"), "my-bucket.get-value");
/// ```
#[must_use]
pub fn to_kebab(name: &str) -> Cow<'_, str> {
    if !name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
        return Cow::Borrowed(name);
    }
    let chars: Vec<char> = name.chars().collect();
    let mut kebab = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        if c == '_' {
            kebab.push('-');
        } else if c.is_ascii_uppercase() {
            let after_word = previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            let ends_acronym =
                previous.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase());
            if (after_word || ends_acronym) && !kebab.ends_with('-') {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        } else {
            kebab.push(c);
        }
    }
    Cow::Owned(kebab)
}
