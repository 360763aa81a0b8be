//! Lenient input forms shared by several types.

use serde::de::{DeserializeOwned, Deserializer, Error};
use serde::Deserialize;
use serde_json::Value;

/// An item of a custom-info array (`{key, value}` object).
pub(crate) trait KeyValue {
    fn from_pair(key: String, value: String) -> Self;
}

/// Custom-info fields (decision 5): an array of `{key, value}` objects. The 2019 shape, an
/// object mapping keys to values, is also accepted; `{}` is therefore an empty array. `null`
/// is treated as absent.
pub(crate) fn kv_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + KeyValue,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Array(_)) => serde_json::from_value(v)
            .map(Some)
            .map_err(D::Error::custom),
        Some(Value::Object(map)) => Ok(Some(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    T::from_pair(k, v)
                })
                .collect(),
        )),
        Some(other) => Err(D::Error::custom(format!(
            "expected an array of key/value objects, found {other}"
        ))),
    }
}

/// A string field that some headers typed as a number (`user_profile_item_location`): a number
/// is read as its decimal text.
pub(crate) fn string_or_number<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(D::Error::custom(format!(
            "expected a string, found {other}"
        ))),
    }
}

/// `null` read as the type's default (used for `message_elem_array`).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
