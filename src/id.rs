//! Identifier newtypes: [`CustomerId`], [`OrderId`], [`StoreId`], [`Channel`].
//!
//! E-commerce ids are usually strings (`"C-000123"`, UUIDs, e-mail hashes),
//! so every id here is a string newtype. They are stored inline, without a
//! heap allocation, up to 24 bytes (via `compact_str`), which covers
//! numeric ids, prefixed ids and UUIDs in their 24-byte-or-shorter forms;
//! cloning such an id is a 24-byte copy. Inside the hot loops rfmkit does not
//! hash ids repeatedly: each stage interns customer ids to dense `u32`
//! indices once and works on integer columns.
//!
//! Ids order as strings (byte-wise), which is the tie-break order the rank
//! scoring method documents: `"C10" < "C9"`. Zero-pad numeric ids if you want
//! numeric order.

use std::borrow::Borrow;
use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        ///
        /// Serialized as a plain string. Construct from `&str` or `String`;
        /// read back with [`as_str`](Self::as_str) or `AsRef<str>`.
        ///
        /// # Example
        ///
        /// ```
        #[doc = concat!("use rfmkit::id::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id = ", stringify!($name), "::from(\"", $example, "\");")]
        #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
        #[doc = concat!("assert_eq!(id.to_string(), \"", $example, "\");")]
        /// ```
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            /// Makes an id from any string.
            #[must_use]
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(CompactString::new(id.as_ref()))
            }

            /// The id as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.0.as_str(), f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.0.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(CompactString::new(id))
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(CompactString::from(id))
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self(CompactString::new(id))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.0.as_str()
            }
        }
    };
}

string_id!(
    /// A customer's id, as the shop's systems spell it.
    CustomerId,
    "C-000123"
);
string_id!(
    /// An order's id, unique within one batch of orders.
    OrderId,
    "A-991"
);
string_id!(
    /// A store's id, for shops that sell through several stores or sites.
    StoreId,
    "tokyo"
);
string_id!(
    /// A sales or acquisition channel (`web`, `app`, `instagram_ads`, ...).
    Channel,
    "web"
);

/// The item whose customer id is `id` in `items`, which are sorted by that
/// id (the order every per-customer collection of the crate keeps).
pub(crate) fn find_by_customer<'a, T>(
    items: &'a [T],
    id: &str,
    customer: impl Fn(&T) -> &CustomerId,
) -> Option<&'a T> {
    items
        .binary_search_by(|item| customer(item).as_str().cmp(id))
        .ok()
        .and_then(|i| items.get(i))
}

/// Widens a dense `u32` index to `usize` (lossless on the 32- and 64-bit
/// platforms rfmkit builds for).
#[inline]
pub(crate) fn widen(i: u32) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_bytewise_and_borrow_as_str() {
        let mut ids = vec![CustomerId::from("C9"), CustomerId::from("C10")];
        ids.sort();
        assert_eq!(ids, vec![CustomerId::from("C10"), CustomerId::from("C9")]);
        let set: std::collections::BTreeSet<CustomerId> = ids.into_iter().collect();
        assert!(set.contains("C9"));
    }

    #[test]
    fn serde_is_a_plain_string() {
        let id = OrderId::from("A-1");
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("\"A-1\""));
        let back: Option<OrderId> = serde_json::from_str("\"A-1\"").ok();
        assert_eq!(back, Some(id));
    }
}
