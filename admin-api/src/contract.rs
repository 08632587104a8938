//! The strict check that keeps the server, these types and `docs/admin-api.md` in step.
//!
//! Reading an answer is tolerant on purpose (see the crate docs), so "it deserialises" proves
//! little. [`strict`] reads a value as a type and then writes it back: the two JSON values
//! must be equal, so a field the type lacks, a field the value lacks, an unknown state name
//! or a number where a string belongs all fail, with the path to the first difference.
//! [`fields`] lists a struct's fields, so a test can prove that a document shows every one,
//! including the optional fields a value may leave out.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a JSON value is not exactly a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The type checked against.
    pub type_name: String,
    /// Where in the value (`$.request.allowed_transitions[1]`).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.type_name, self.path, self.problem)
    }
}

impl std::error::Error for Mismatch {}

/// Reads `value` as `T` and fails unless `T` written back is the same JSON.
///
/// Errors: [`Mismatch`] naming the first difference (an unknown or missing field, a value
/// `T` reads differently) or why `value` cannot be read as `T` at all.
pub fn strict<T: DeserializeOwned + Serialize>(value: &Value) -> Result<T, Mismatch> {
    let type_name = short_name::<T>();
    let mismatch = |path: String, problem: String| Mismatch {
        type_name: type_name.clone(),
        path,
        problem,
    };
    let read: T = serde_json::from_value(value.clone())
        .map_err(|e| mismatch("$".into(), format!("cannot be read: {e}")))?;
    let written = serde_json::to_value(&read)
        .map_err(|e| mismatch("$".into(), format!("cannot be written back: {e}")))?;
    match first_difference(value, &written, "$".into()) {
        Some((path, problem)) => Err(mismatch(path, problem)),
        None => Ok(read),
    }
}

fn short_name<T>() -> String {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full).to_string()
}

/// Where `given` (what was sent) and `written` (what the type makes of it) first differ.
fn first_difference(given: &Value, written: &Value, path: String) -> Option<(String, String)> {
    match (given, written) {
        (Value::Object(g), Value::Object(w)) => {
            if let Some(k) = g.keys().find(|k| !w.contains_key(*k)) {
                return Some((path, format!("field `{k}` is not in the type")));
            }
            if let Some(k) = w.keys().find(|k| !g.contains_key(*k)) {
                return Some((path, format!("field `{k}` is missing")));
            }
            g.iter()
                .find_map(|(k, v)| first_difference(v, &w[k], format!("{path}.{k}")))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (g, w))| first_difference(g, w, format!("{path}[{i}]"))),
        _ if given == written => None,
        _ => Some((path, format!("{given} reads back as {written}"))),
    }
}

/// The field names of `T` as serde reads them, or `None` when `T` is not read as a
/// struct (an enum, an untagged union).
pub fn field_names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut probe = FieldProbe(None);
    // The probe always fails once it has seen the struct's fields: nothing is read.
    let _ = T::deserialize(&mut probe);
    probe.0
}

/// A deserializer that records the field list serde asks a struct for, then stops.
struct FieldProbe(Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> serde::Deserializer<'de> for &mut FieldProbe {
    type Error = Stop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        self.0 = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Declares the registry of wire types by name.
macro_rules! wire_types {
    ($($t:ident),* $(,)?) => {
        /// Every wire type, by the name the doc and [`crate::routes::ROUTES`] use.
        pub const TYPE_NAMES: &[&str] = &[$(stringify!($t)),*];

        /// [`strict`] for the type named `type_name` (one of [`TYPE_NAMES`]).
        ///
        /// Errors: [`Mismatch`], also for a name that is not a wire type.
        pub fn check(type_name: &str, value: &Value) -> Result<(), Mismatch> {
            match type_name {
                $(stringify!($t) => strict::<crate::$t>(value).map(drop),)*
                other => Err(Mismatch {
                    type_name: other.to_string(),
                    path: "$".into(),
                    problem: "not a wire type of heepr-admin-api".into(),
                }),
            }
        }

        /// [`field_names`] of the type named `type_name`; `None` for an enum, an untagged
        /// union or a name that is not a wire type.
        pub fn fields(type_name: &str) -> Option<&'static [&'static str]> {
            match type_name {
                $(stringify!($t) => field_names::<crate::$t>(),)*
                _ => None,
            }
        }
    };
}

wire_types!(
    Me,
    Role,
    Status,
    Kind,
    Request,
    RequestList,
    RequestsQuery,
    CreateRequest,
    Transition,
    Extension,
    ExportArchive,
    RequestDetail,
    Subject,
    Hold,
    HoldRef,
    Account,
    HoldList,
    Reason,
    HoldLifted,
    ChildFlag,
    TableCounts,
    ErasurePreview,
    AuditEntry,
    AuditList,
    AuditQuery,
    BrokenLink,
    ChainVerification,
    Store,
    RetentionRun,
    RetentionRule,
    RuleList,
    TableSweep,
    SweepReport,
    StoreSweep,
    DryRun,
    Backup,
    BackupList,
    ErrorEnvelope,
    ErrorBody,
    TransitionRefusal,
    HoldRefusal,
    AccountsQuery,
    Restriction,
    PlaceRestriction,
    Objection,
    PlaceObjection,
    AnalyticsReport,
    AnalyticsDay,
    AnalyticsFigure,
    AnalyticsQuery,
    Rectify,
    Rectified,
    NoteBody,
    Note,
    IntakeOutcome,
    IntakeQuery,
    IntakeMessage,
    IntakeList,
    Classify,
);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Request, Status};

    #[test]
    fn a_complete_value_passes() {
        let value = serde_json::to_value(Request::default()).unwrap();
        assert!(strict::<Request>(&value).is_ok());
    }

    #[test]
    fn unknown_missing_and_unknown_states_fail_with_the_path() {
        let mut value = serde_json::to_value(Request::default()).unwrap();
        value["shiny"] = json!(1);
        let e = strict::<Request>(&value).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.problem.as_str()),
            ("$", "field `shiny` is not in the type")
        );

        let mut value = serde_json::to_value(Request::default()).unwrap();
        value.as_object_mut().unwrap().remove("due_at_ms");
        let e = strict::<Request>(&value).unwrap_err();
        assert_eq!(e.problem, "field `due_at_ms` is missing");

        let mut value = serde_json::to_value(Request::default()).unwrap();
        value["allowed_transitions"] = json!(["in_progress", "teleported"]);
        let e = strict::<Request>(&value).unwrap_err();
        assert_eq!(e.path, "$.allowed_transitions[1]");
        assert_eq!(Status::Unknown.as_str(), "unknown");

        let e = strict::<Request>(&json!({"id": 7})).unwrap_err();
        assert!(e.problem.starts_with("cannot be read"), "{e}");
    }

    #[test]
    fn every_name_checks_and_others_fail() {
        for name in TYPE_NAMES {
            let e = check(name, &json!({"surely_not_a_field": true}));
            assert!(e.is_err(), "{name} accepted an unknown field");
        }
        assert!(check("Nope", &json!({})).is_err());
    }

    #[test]
    fn fields_of_structs_include_optional_ones() {
        assert_eq!(fields("Transition"), Some(&["to", "reason"][..]));
        assert_eq!(fields("Status"), None);
        assert_eq!(fields("DryRun"), None);
        assert_eq!(fields("Nope"), None);
    }
}
