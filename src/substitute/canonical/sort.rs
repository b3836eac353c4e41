//! go-yaml's map key order (`sorter.go keyList.Less`), used by both v2 (the text fed to
//! envsubst) and v3 (kyaml's `FromMap`, which gives the substituted object its key order).
//!
//! It is a "natural" order: runs of digits compare numerically, and non-letters sort before
//! letters (`a10` after `a9`, `a-b` before `ab`).

use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Go's `unicode.IsLetter`, approximated by Rust's alphabetic class.
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// Go's `unicode.IsDigit` (decimal digits).
fn is_digit(c: char) -> bool {
    c.is_numeric()
}

/// Digit value as Go computes it (`ar[ai] - '0'`), wrapping like Go's int64.
fn digit_value(c: char) -> i64 {
    (c as i64).wrapping_sub('0' as i64)
}

/// `keyList.Less` for two string keys.
pub(crate) fn go_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

fn go_key_cmp(a: &str, b: &str) -> Ordering {
    if go_key_less(a, b) {
        Ordering::Less
    } else if go_key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// The entries of `m` in go-yaml order.
pub(crate) fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = m.iter().collect();
    // Go uses an unstable sort, but keys are unique so stability does not matter.
    entries.sort_by(|x, y| go_key_cmp(x.0, y.0));
    entries
}

/// Rebuilds `v` with every object's keys in go-yaml order.
pub(crate) fn sort_value(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|x, y| go_key_cmp(&x.0, &y.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_value(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sort_value).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::go_key_less;

    #[test]
    fn natural_order() {
        let mut keys = vec![
            "b", "a10", "a9", "a-b", "ab", "A", "_x", "a", "a01", "a1", "1", "10", "9",
        ];
        keys.sort_by(|a, b| super::go_key_cmp(a, b));
        assert_eq!(
            keys,
            vec![
                "_x", "1", "9", "10", "A", "a", "a-b", "a1", "a01", "a9", "a10", "ab", "b"
            ]
        );
        assert!(go_key_less("apiVersion", "kind"));
        assert!(go_key_less("kind", "metadata"));
        assert!(go_key_less("metadata", "spec"));
        assert!(!go_key_less("x", "x"));
    }
}
