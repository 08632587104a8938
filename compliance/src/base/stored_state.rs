//! Stored states: a TEXT column whose values a CHECK constraint fixes (`orders.status`,
//! `dsr_requests.kind`, ...) is a Rust enum end to end, declared with [`stored_state!`].
//!
//! The macro gives every such enum the same surface: `ALL` (the variants, in declaration
//! order), `as_str` (the stored text, bound as a query parameter, never written as a SQL
//! literal), `FromStr` (an unknown text is an [`UnknownState`] error, never a silent
//! default), `Display` (the stored text) and sqlx `Type`/`Decode` for the `Any` driver, so a
//! row's column decodes straight into the enum (also through `#[derive(sqlx::FromRow)]`).
//! The source guard in heepr-core's tests derives its forbidden SQL literals from `ALL`.

/// A stored text matched no variant: the schema's CHECK constraint and the enum disagree,
/// or a row was written by something that bypassed them.
/// A client naming an unknown value gets the same error, listing the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {}", .expected.join(", "))]
pub struct UnknownState {
    /// What was being read (`"order status"`), named in the enum's declaration.
    pub what: &'static str,
    /// The text found.
    pub value: String,
    /// The accepted texts, in declaration order.
    pub expected: &'static [&'static str],
}

/// What every enum declared with [`stored_state!`] offers, for code generic over them
/// (the source guard, column checks).
pub trait StoredState: Copy + Sized + 'static {
    /// What the value is, in words (`"order status"`), for errors.
    const WHAT: &'static str;
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The stored text.
    fn as_str(self) -> &'static str;
}

/// The stored texts of `S`, in declaration order.
pub fn stored_texts<S: StoredState>() -> Vec<&'static str> {
    S::ALL.iter().map(|s| s.as_str()).collect()
}

/// Declares a stored-state enum: variants with their stored text, plus `ALL`, `as_str`,
/// `FromStr`, `Display`, [`StoredState`] and sqlx `Any` decoding (see the module doc).
///
/// ```
/// heepr_compliance::stored_state! {
///     /// Whether a thing is on.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Switch: "switch state" {
///         /// On.
///         On = "on",
///         /// Off.
///         Off = "off",
///     }
/// }
/// assert_eq!(Switch::On.as_str(), "on");
/// assert_eq!("off".parse::<Switch>(), Ok(Switch::Off));
/// assert!("dimmed".parse::<Switch>().is_err());
/// ```
#[macro_export]
macro_rules! stored_state {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The stored text (bind it as a parameter; never write it into SQL).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $crate::base::stored_state::StoredState for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [$name] = &$name::ALL;
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::base::stored_state::UnknownState;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::base::stored_state::UnknownState {
                        what: $what,
                        value: s.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::base::stored_state::__sqlx::Type<$crate::base::stored_state::__sqlx::Any>
            for $name
        {
            fn type_info() -> $crate::base::stored_state::__sqlx::any::AnyTypeInfo {
                <str as $crate::base::stored_state::__sqlx::Type<
                    $crate::base::stored_state::__sqlx::Any,
                >>::type_info()
            }

            fn compatible(ty: &$crate::base::stored_state::__sqlx::any::AnyTypeInfo) -> bool {
                <str as $crate::base::stored_state::__sqlx::Type<
                    $crate::base::stored_state::__sqlx::Any,
                >>::compatible(ty)
            }
        }

        impl<'r> $crate::base::stored_state::__sqlx::Decode<'r, $crate::base::stored_state::__sqlx::Any>
            for $name
        {
            fn decode(
                value: $crate::base::stored_state::__sqlx::any::AnyValueRef<'r>,
            ) -> ::std::result::Result<Self, $crate::base::stored_state::__sqlx::error::BoxDynError>
            {
                let text = <&str as $crate::base::stored_state::__sqlx::Decode<
                    'r,
                    $crate::base::stored_state::__sqlx::Any,
                >>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

#[doc(hidden)]
pub use sqlx as __sqlx;

#[cfg(test)]
mod tests {
    use sqlx::Row;

    crate::stored_state! {
        /// A test state.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Light: "light" {
            /// Red.
            Red = "red",
            /// Green.
            GreenArrow = "green_arrow",
        }
    }

    #[test]
    fn texts_round_trip_and_unknown_is_an_error() {
        for light in Light::ALL {
            assert_eq!(light.as_str().parse::<Light>(), Ok(light));
            assert_eq!(light.to_string(), light.as_str());
        }
        assert_eq!(Light::GreenArrow.as_str(), "green_arrow");
        assert_eq!(
            "amber".parse::<Light>(),
            Err(super::UnknownState {
                what: "light",
                value: "amber".to_owned(),
                expected: &["red", "green_arrow"],
            })
        );
        assert_eq!(
            "amber".parse::<Light>().unwrap_err().to_string(),
            r#"unknown light "amber"; expected one of: red, green_arrow"#
        );
        assert_eq!(super::stored_texts::<Light>(), ["red", "green_arrow"]);
    }

    #[tokio::test]
    async fn a_column_decodes_into_the_enum_and_an_unknown_text_fails() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::Db::connect(&url, 1).await.unwrap();
        let row = sqlx::query("SELECT 'green_arrow' AS a, 'amber' AS b")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(row.try_get::<Light, _>("a").unwrap(), Light::GreenArrow);
        assert!(row.try_get::<Light, _>("b").is_err());
    }
}
