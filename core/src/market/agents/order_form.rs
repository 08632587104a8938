//! The structured order form an owner defines for an agent (wizard step 4) and the server-side
//! validation of a customer's answers against it. Both are stored as JSON text.
//!
//! A form is a list of fields: `{name, label, type, required, max_length?, min?, max?, choices?}`
//! with `type` one of `text`, `long_text`, `number`, `choice`, `file`. Answers are a JSON object
//! `{field name: value}`: a string for text and long text (at most `max_length` characters),
//! a number within `min..=max`, one of `choices`, or for a file the id of a file the customer
//! uploaded beforehand (`POST /api/v1/files`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::platform::error::AppError;
use crate::platform::unicode;

/// Most fields one form may have.
pub const MAX_FIELDS: usize = 20;
/// Default and largest `max_length` of a `text` field (characters).
const TEXT_DEFAULT: u32 = 200;
const TEXT_LIMIT: u32 = 1_000;
/// Default and largest `max_length` of a `long_text` field (characters).
const LONG_TEXT_DEFAULT: u32 = 5_000;
const LONG_TEXT_LIMIT: u32 = 20_000;

/// What kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several paragraphs.
    LongText,
    /// A number.
    Number,
    /// One of a fixed list.
    Choice,
    /// An uploaded file (the answer is its id).
    File,
}

/// One field of an order form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// Key of the answer: 1–40 of `a-z`, `0-9`, `_`, unique in the form.
    pub name: String,
    /// What the customer reads, 1–100 characters.
    pub label: String,
    /// The kind of answer.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether an answer is needed.
    #[serde(default)]
    pub required: bool,
    /// Text fields: most characters accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Number fields: smallest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Number fields: largest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Choice fields: the options, 1–20 distinct non-empty strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

fn bad(message: String) -> AppError {
    AppError::invalid("order_form", message)
}

/// Checks a form definition. Errors: 422 on `order_form` naming the field and the rule.
pub fn validate_form(fields: &[FormField]) -> Result<(), AppError> {
    if fields.len() > MAX_FIELDS {
        return Err(bad(format!("a form has at most {MAX_FIELDS} fields")));
    }
    let mut names = HashSet::new();
    for f in fields {
        let name_ok = (1..=40).contains(&f.name.len())
            && f.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(bad(format!(
                "field name {:?} must be 1-40 characters of a-z, 0-9 and _",
                f.name
            )));
        }
        if !names.insert(f.name.as_str()) {
            return Err(bad(format!("field name {:?} is used twice", f.name)));
        }
        let label_len = f.label.trim().chars().count();
        if !(1..=100).contains(&label_len) {
            return Err(bad(format!(
                "field {:?} needs a label of 1-100 characters",
                f.name
            )));
        }
        // Labels and choices are shown to customers as names: the one name rule.
        for text in std::iter::once(&f.label).chain(&f.choices) {
            if let Err(err) = unicode::name("order_form", text, 100) {
                return Err(bad(format!("field {:?}: {err}", f.name)));
            }
        }
        match f.field_type {
            FieldType::Text | FieldType::LongText => {
                let limit = if f.field_type == FieldType::Text {
                    TEXT_LIMIT
                } else {
                    LONG_TEXT_LIMIT
                };
                if f.max_length.is_some_and(|m| m == 0 || m > limit) {
                    return Err(bad(format!(
                        "field {:?}: max_length must be 1-{limit}",
                        f.name
                    )));
                }
            }
            FieldType::Number => {
                let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
                if !finite(f.min) || !finite(f.max) {
                    return Err(bad(format!(
                        "field {:?}: min and max must be numbers",
                        f.name
                    )));
                }
                if let (Some(min), Some(max)) = (f.min, f.max)
                    && min > max
                {
                    return Err(bad(format!("field {:?}: min is greater than max", f.name)));
                }
            }
            FieldType::Choice => {
                let distinct: HashSet<&str> = f.choices.iter().map(|c| c.trim()).collect();
                if f.choices.is_empty()
                    || f.choices.len() > 20
                    || distinct.len() != f.choices.len()
                    || distinct.contains("")
                {
                    return Err(bad(format!(
                        "field {:?}: choices must be 1-20 distinct, non-empty options",
                        f.name
                    )));
                }
            }
            FieldType::File => {}
        }
    }
    Ok(())
}

/// Validated answers, ready to store, and the ids of files they refer to.
#[derive(Debug, Clone)]
pub struct CheckedAnswers {
    /// `{field name: value}` with text trimmed; unanswered optional fields left out.
    pub answers: Map<String, Value>,
    /// File ids named by `file` fields.
    pub file_ids: Vec<String>,
}

fn answer_error(field: &str, message: &str) -> AppError {
    AppError::invalid("answers", format!("{field}: {message}"))
}

/// Checks `answers` against `form`.
///
/// Errors: 422 on `answers` naming the field when the answers are not an object, name a field
/// the form does not have, miss a required field, or give a value of the wrong type, too
/// long, out of range, not among the choices, or with control characters.
pub fn check_answers(form: &[FormField], answers: &Value) -> Result<CheckedAnswers, AppError> {
    let Some(given) = answers.as_object() else {
        return Err(AppError::invalid(
            "answers",
            "answers must be a JSON object of field name to value",
        ));
    };
    for key in given.keys() {
        if !form.iter().any(|f| &f.name == key) {
            return Err(answer_error(key, "the order form has no such field"));
        }
    }
    let mut out = Map::new();
    let mut file_ids = Vec::new();
    for f in form {
        let value = given.get(&f.name).filter(|v| !v.is_null());
        let value = match value {
            Some(Value::String(s)) if s.trim().is_empty() => None,
            other => other,
        };
        let Some(value) = value else {
            if f.required {
                return Err(answer_error(&f.name, "this field is required"));
            }
            continue;
        };
        let checked = match f.field_type {
            FieldType::Text | FieldType::LongText => {
                let Some(text) = value.as_str() else {
                    return Err(answer_error(&f.name, "must be text"));
                };
                let text = text.trim();
                let multiline = f.field_type == FieldType::LongText;
                if text.chars().any(|c| {
                    c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r'))
                }) {
                    return Err(answer_error(&f.name, "contains control characters"));
                }
                let limit = f.max_length.unwrap_or(if multiline {
                    LONG_TEXT_DEFAULT
                } else {
                    TEXT_DEFAULT
                });
                if text.chars().count() > limit as usize {
                    return Err(answer_error(
                        &f.name,
                        &format!("at most {limit} characters"),
                    ));
                }
                Value::String(text.to_owned())
            }
            FieldType::Number => {
                let Some(n) = value.as_f64() else {
                    return Err(answer_error(&f.name, "must be a number"));
                };
                if f.min.is_some_and(|min| n < min) || f.max.is_some_and(|max| n > max) {
                    return Err(answer_error(
                        &f.name,
                        &format!(
                            "must be between {} and {}",
                            fmt_bound(f.min),
                            fmt_bound(f.max)
                        ),
                    ));
                }
                value.clone()
            }
            FieldType::Choice => {
                let Some(choice) = value.as_str().filter(|c| f.choices.iter().any(|x| x == c))
                else {
                    return Err(answer_error(
                        &f.name,
                        &format!("must be one of: {}", f.choices.join(", ")),
                    ));
                };
                Value::String(choice.to_owned())
            }
            FieldType::File => {
                let Some(id) = value.as_str() else {
                    return Err(answer_error(
                        &f.name,
                        "must be the id of a file you uploaded",
                    ));
                };
                file_ids.push(id.to_owned());
                Value::String(id.to_owned())
            }
        };
        out.insert(f.name.clone(), checked);
    }
    Ok(CheckedAnswers {
        answers: out,
        file_ids,
    })
}

/// The form as editable lines for the wizard page, one field per line:
/// `name | label | type | required or optional | extra` where extra is a text field's
/// `max_length`, a number field's `min-max`, or a choice field's comma-separated options.
pub fn to_lines(fields: &[FormField]) -> String {
    fields
        .iter()
        .map(|f| {
            let kind = match f.field_type {
                FieldType::Text => "text",
                FieldType::LongText => "long_text",
                FieldType::Number => "number",
                FieldType::Choice => "choice",
                FieldType::File => "file",
            };
            let extra = match f.field_type {
                FieldType::Text | FieldType::LongText => {
                    f.max_length.map(|m| m.to_string()).unwrap_or_default()
                }
                FieldType::Number => format!(
                    "{}-{}",
                    f.min.map(|v| v.to_string()).unwrap_or_default(),
                    f.max.map(|v| v.to_string()).unwrap_or_default()
                ),
                FieldType::Choice => f.choices.join(", "),
                FieldType::File => String::new(),
            };
            let required = if f.required { "required" } else { "optional" };
            format!("{} | {} | {kind} | {required} | {extra}", f.name, f.label)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses [`to_lines`]' format and validates the form.
///
/// Errors: 422 on `order_form` naming the line and what is wrong.
pub fn parse_lines(text: &str) -> Result<Vec<FormField>, AppError> {
    let mut fields = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |what: &str| bad(format!("line {}: {what}", n + 1));
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() < 3 {
            return Err(bad("write name | label | type | required | extra"));
        }
        let field_type = match cols[2] {
            "text" => FieldType::Text,
            "long_text" => FieldType::LongText,
            "number" => FieldType::Number,
            "choice" => FieldType::Choice,
            "file" => FieldType::File,
            _ => return Err(bad("type is text, long_text, number, choice or file")),
        };
        let required = match cols.get(3).copied().unwrap_or("optional") {
            "required" => true,
            "optional" | "" => false,
            _ => return Err(bad("say required or optional")),
        };
        let extra = cols.get(4).copied().unwrap_or("");
        let mut field = FormField {
            name: cols[0].to_owned(),
            label: cols[1].to_owned(),
            field_type,
            required,
            max_length: None,
            min: None,
            max: None,
            choices: Vec::new(),
        };
        match field_type {
            FieldType::Text | FieldType::LongText if !extra.is_empty() => {
                field.max_length = Some(
                    extra
                        .parse()
                        .map_err(|_| bad("the extra of a text field is its maximum length"))?,
                );
            }
            FieldType::Number if !extra.is_empty() => {
                let (min, max) = extra
                    .split_once('-')
                    .ok_or_else(|| bad("the extra of a number field is min-max"))?;
                let num = |s: &str| -> Result<Option<f64>, AppError> {
                    if s.trim().is_empty() {
                        Ok(None)
                    } else {
                        s.trim()
                            .parse()
                            .map(Some)
                            .map_err(|_| bad("min and max must be numbers"))
                    }
                };
                field.min = num(min)?;
                field.max = num(max)?;
            }
            FieldType::Choice => {
                field.choices = extra
                    .split(',')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect();
            }
            _ => {}
        }
        fields.push(field);
    }
    validate_form(&fields)?;
    Ok(fields)
}

fn fmt_bound(v: Option<f64>) -> String {
    v.map_or_else(|| "any".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Vec<FormField> {
        serde_json::from_value(json!([
            {"name": "topic", "label": "Topic", "type": "text", "required": true, "max_length": 10},
            {"name": "words", "label": "Words", "type": "number", "min": 100, "max": 1000},
            {"name": "tone", "label": "Tone", "type": "choice", "choices": ["formal", "casual"]}
        ]))
        .unwrap_or_default()
    }

    #[test]
    fn good_answers_pass() {
        let f = form();
        assert_eq!(f.len(), 3);
        assert!(validate_form(&f).is_ok());
        let ok = check_answers(
            &f,
            &json!({"topic": " cats ", "words": 500, "tone": "formal"}),
        );
        assert_eq!(
            ok.map(|a| a.answers["topic"].clone()).ok(),
            Some(json!("cats"))
        );
    }

    #[test]
    fn lines_round_trip() {
        let f = form();
        let text = to_lines(&f);
        assert_eq!(parse_lines(&text).ok(), Some(f));
        assert!(parse_lines("x | X | colour").is_err());
    }

    #[test]
    fn bad_answers_fail() {
        let f = form();
        for bad in [
            json!({}),
            json!({"topic": "far too long text"}),
            json!({"topic": "x", "words": 5}),
            json!({"topic": "x", "tone": "angry"}),
            json!({"topic": "x", "colour": "red"}),
            json!({"topic": 3}),
            json!(["topic"]),
        ] {
            assert!(check_answers(&f, &bad).is_err(), "{bad}");
        }
    }
}
