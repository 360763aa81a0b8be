//! The struct-declaring macro shared by every JSON object type.

/// Declares a JSON object type whose fields are all `Option<T>`.
///
/// Each field is written `name: Type = ("kTIMConstant", "json_key"),`: the field becomes
/// `pub name: Option<Type>` with `#[serde(rename = "json_key", default,
/// skip_serializing_if = "Option::is_none")]`, so a key absent on input stays absent on output
/// and parsing then re-serialising keeps the key set. Extra field attributes (docs,
/// `deserialize_with`) are passed through. An empty constant name marks an opentim extension key.
///
/// The type also gets `KEYS`, the `(C constant, JSON key)` list checked against
/// [`crate::tables`] by a test.
macro_rules! json_struct {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = ($cname:literal, $key:literal),
            )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("JSON key `", $key, "`.")]
                #[serde(rename = $key, default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl $name {
            /// `(C constant name, JSON key)` of every field, in header order.
            pub const KEYS: &'static [(&'static str, &'static str)] = &[ $( ($cname, $key), )* ];
        }
    };
}

/// `fill!(self; a, b = value, c => Type::complete)`: sets each `None` field to
/// `Default::default()` (plain name), to `value` (`= value`), or to the completed default while
/// completing an existing value (`=> f`).
macro_rules! fill {
    ($s:ident; $( $field:ident $(= $value:expr)? $(=> $f:path)? ),* $(,)?) => {
        $( fill!(@one $s $field $(= $value)? $(=> $f)?); )*
    };
    (@one $s:ident $field:ident) => {
        if $s.$field.is_none() {
            $s.$field = Some(Default::default());
        }
    };
    (@one $s:ident $field:ident = $value:expr) => {
        if $s.$field.is_none() {
            $s.$field = Some($value);
        }
    };
    (@one $s:ident $field:ident => $f:path) => {
        $s.$field = Some($f($s.$field.take().unwrap_or_default()));
    };
}

/// Completes every item of an `Option<Vec<T>>` field in place, filling `None` with `[]`.
macro_rules! fill_vec {
    ($s:ident; $( $field:ident => $f:path ),* $(,)?) => {
        $(
            $s.$field = Some(
                $s.$field.take().unwrap_or_default().into_iter().map($f).collect(),
            );
        )*
    };
}
