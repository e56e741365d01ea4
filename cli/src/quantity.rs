//! Durations (`500ms`, `5s`, `2m`) and sizes (`64KiB`, `256MiB`, `1GiB`, or bytes) as the command line writes
//! them.

use std::time::Duration;

/// A duration: a number and a unit, `ms`, `s`, `m` or `h`.
///
/// # Errors
/// A text saying what form is expected.
pub fn duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split(text);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration: write e.g. 500ms, 5s or 2m"))?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => return Err(format!("`{text}` has no unit of time: write e.g. 500ms, 5s or 2m")),
    };
    millis.map(Duration::from_millis).ok_or_else(|| format!("`{text}` is too long"))
}

/// A size in bytes: a number, optionally with a unit `KiB`, `MiB` or `GiB`.
///
/// # Errors
/// A text saying what form is expected.
pub fn size(text: &str) -> Result<usize, String> {
    let (number, unit) = split(text);
    let number: usize = number.parse().map_err(|_| format!("`{text}` is not a size: write e.g. 64MiB or 1GiB"))?;
    let shift = match unit {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return Err(format!("`{text}` has an unknown unit: use KiB, MiB or GiB")),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

/// A number and what follows it.
fn split(text: &str) -> (&str, &str) {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text.split_at(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert!(duration("5").unwrap_err().contains("no unit of time"));
        assert!(duration("s").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn sizes() {
        assert_eq!(size("256MiB"), Ok(256 << 20));
        assert_eq!(size("4096"), Ok(4096));
        assert_eq!(size("1GiB"), Ok(1 << 30));
        assert!(size("1GB").unwrap_err().contains("unknown unit"));
    }
}
