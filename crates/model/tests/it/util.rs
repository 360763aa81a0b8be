//! JSON comparison helpers.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Path of every object key at every depth (`/a/0/b`).
pub fn key_paths(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, path: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let p = format!("{path}/{k}");
                    out.insert(p.clone());
                    walk(child, &p, out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

/// Every scalar (string, number, bool, null) by path.
pub fn leaves(v: &Value) -> BTreeMap<String, Value> {
    fn walk(v: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    walk(child, &format!("{path}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), out);
                }
            }
            scalar => {
                out.insert(path.to_owned(), scalar.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(v, "", &mut out);
    out
}

/// Parses `text` as `T`, re-serialises it, and asserts that the key set is unchanged and that
/// every scalar is unchanged except `elem_type` (which may be renumbered to decision 2).
/// Returns the model value and the re-serialised JSON.
pub fn round_trip<T: DeserializeOwned + Serialize>(name: &str, text: &str) -> (T, Value) {
    let input: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let model: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let output = serde_json::to_value(&model).unwrap();
    assert_same_shape(name, &input, &output);
    (model, output)
}

/// Same key set, same scalars (`elem_type` excepted).
pub fn assert_same_shape(name: &str, input: &Value, output: &Value) {
    assert_eq!(key_paths(input), key_paths(output), "{name}: key set");
    let strip = |v: &Value| {
        leaves(v)
            .into_iter()
            .filter(|(p, _)| !p.ends_with("/elem_type"))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(strip(input), strip(output), "{name}: values");
}
