//! How JSON request bodies read numbers and optional fields, so that they accept exactly what the
//! OpenAPI document says: an `integer` is any JSON number with no fractional part (JSON Schema
//! counts `3.0` as an integer, and so do some clients' serializers), and an optional `string` may
//! be left out but is never `null`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A whole number read from a JSON integer or an integral float (`660` or `660.0`); a fraction, a
/// negative number or one too big for `T` is refused like any other wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<T>(pub T);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WholeVisitor(PhantomData))
    }
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<u64>> WholeVisitor<T> {
    fn fit<E: de::Error>(n: u64) -> Result<Whole<T>, E> {
        T::try_from(n)
            .map(Whole)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(n), &"a smaller number"))
    }
}

impl<T: TryFrom<u64>> Visitor<'_> for WholeVisitor<T> {
    type Value = Whole<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Self::fit(n)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        let n = u64::try_from(n)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(n), &"a number >= 0"))?;
        Self::fit(n)
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        // 2^64 is exactly representable; anything at or above it does not fit a u64.
        if x.fract() != 0.0 || !(0.0..18_446_744_073_709_551_616.0).contains(&x) {
            return Err(E::invalid_value(de::Unexpected::Float(x), &self));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Self::fit(x as u64)
    }
}

/// For `#[serde(default, deserialize_with = "body::present")]`: a field that may be left out
/// (`None`) but, when given, must be a `T` (`null` is refused: the schema's type has no null).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The values of a list of [`Whole`] numbers.
pub fn wholes<T>(list: Vec<Whole<T>>) -> Vec<T> {
    list.into_iter().map(|w| w.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "present")]
        name: Option<String>,
        #[serde(default, deserialize_with = "present")]
        width: Option<Whole<u32>>,
    }

    fn whole(json: &str) -> Result<u32, serde_json::Error> {
        serde_json::from_str::<Whole<u32>>(json).map(|w| w.0)
    }

    #[test]
    fn integral_numbers_in_either_spelling() {
        assert_eq!(whole("660").unwrap(), 660);
        assert_eq!(whole("660.0").unwrap(), 660);
        assert_eq!(whole("6.6e2").unwrap(), 660);
        assert_eq!(whole("0").unwrap(), 0);
        assert_eq!(whole("4294967295").unwrap(), u32::MAX);
    }

    #[test]
    fn fractions_negatives_overflow_and_other_types_are_refused() {
        for bad in [
            "660.5",
            "-1",
            "-1.0",
            "4294967296",
            "1e300",
            "\"660\"",
            "null",
            "true",
            "[1]",
        ] {
            assert!(whole(bad).is_err(), "{bad} was accepted");
        }
        assert!(serde_json::from_str::<Whole<u64>>("18446744073709551616.0").is_err());
        assert_eq!(
            serde_json::from_str::<Whole<u64>>("18446744073709551615")
                .unwrap()
                .0,
            u64::MAX
        );
    }

    #[test]
    fn optional_fields_may_be_missing_but_not_null() {
        let b: Body = serde_json::from_str("{}").unwrap();
        assert_eq!((b.name, b.width), (None, None));
        let b: Body = serde_json::from_str(r#"{"name": "x", "width": 3.0}"#).unwrap();
        assert_eq!((b.name.as_deref(), b.width), (Some("x"), Some(Whole(3))));
        assert!(serde_json::from_str::<Body>(r#"{"name": null}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"width": null}"#).is_err());
    }
}
