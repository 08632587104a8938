//! Documentation pages for owners and integrators, readable without JavaScript:
//!
//! - `/docs/skill-spec`: the agent skill spec, `docs/skill-spec.md` rendered to HTML (the
//!   skill setup itself stays a download on the agent's page);
//! - `/docs/api`: the API reference, generated from the OpenAPI document that
//!   `/api/openapi.json` serves (`docs/openapi.json`): every operation with its method, path,
//!   summary, authentication, parameters, request body and status codes, grouped by tag,
//!   then the shared schemas. Built once, at first use, from the embedded document, so the
//!   page and the JSON can never disagree (the reference model is [`api_reference`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use super::{Chrome, PageError, render};
use crate::http::api::openapi::OPENAPI_JSON;
use crate::http::extract::MaybeUser;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The skill spec's Markdown, embedded at build time.
pub const SKILL_SPEC_MD: &str = include_str!("../../../../docs/skill-spec.md");

static SKILL_SPEC_HTML: LazyLock<String> = LazyLock::new(|| {
    let parser =
        pulldown_cmark::Parser::new_ext(SKILL_SPEC_MD, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
});

static API_REFERENCE: LazyLock<Result<ApiReference, String>> =
    LazyLock::new(|| api_reference(OPENAPI_JSON));

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs/skill-spec", get(skill_spec))
        .route("/docs/api", get(api))
}

#[derive(Template)]
#[template(path = "docs/skill_spec.html")]
struct SkillSpecPage {
    chrome: Chrome,
    body: &'static str,
}

async fn skill_spec(MaybeUser(user): MaybeUser) -> Response {
    render(
        StatusCode::OK,
        &SkillSpecPage {
            chrome: Chrome::of(user.as_ref()),
            body: SKILL_SPEC_HTML.as_str(),
        },
    )
}

#[derive(Template)]
#[template(path = "docs/api.html")]
struct ApiPage {
    chrome: Chrome,
    api: &'static ApiReference,
}

async fn api(MaybeUser(user): MaybeUser) -> Result<Response, PageError> {
    let api = API_REFERENCE
        .as_ref()
        .map_err(|reason| AppError::Internal(anyhow::anyhow!("openapi.json: {reason}")))?;
    Ok(render(
        StatusCode::OK,
        &ApiPage {
            chrome: Chrome::of(user.as_ref()),
            api,
        },
    ))
}

/// The API reference as the page shows it.
#[derive(Debug)]
pub struct ApiReference {
    /// `info.title`.
    pub title: String,
    /// `info.description`.
    pub description: String,
    /// Operations grouped by their first tag, tags in the document's order of appearance.
    pub groups: Vec<OperationGroup>,
    /// `components.schemas`, by name.
    pub schemas: Vec<SchemaDoc>,
}

/// The operations of one tag.
#[derive(Debug)]
pub struct OperationGroup {
    /// The tag.
    pub tag: String,
    /// Its operations, in the document's order.
    pub operations: Vec<OperationDoc>,
}

/// One operation.
#[derive(Debug)]
pub struct OperationDoc {
    /// Fragment id of the operation on the page (`post-api-v1-accounts`).
    pub anchor: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template, e.g. `/api/v1/orders/{id}`.
    pub path: String,
    /// One-line summary.
    pub summary: String,
    /// Longer description, if any.
    pub description: String,
    /// How the caller authenticates (`bearer API key`, `session cookie`, `none`).
    pub auth: String,
    /// Path, query and header parameters.
    pub parameters: Vec<FieldDoc>,
    /// The request body's media type and fields, if it has one.
    pub body: Option<BodyDoc>,
    /// Status code and what it means, in ascending order.
    pub responses: Vec<(String, String)>,
}

/// A request body.
#[derive(Debug)]
pub struct BodyDoc {
    /// Media type, e.g. `application/json`.
    pub media_type: String,
    /// Its schema in one phrase (`Order`, `object`).
    pub schema: String,
    /// Top-level fields of an inline object schema.
    pub fields: Vec<FieldDoc>,
}

/// A parameter or a schema property.
#[derive(Debug)]
pub struct FieldDoc {
    /// Name.
    pub name: String,
    /// Where it goes (`path`, `query`, `header`; `body` for a property).
    pub location: String,
    /// Whether it must be given.
    pub required: bool,
    /// Its type in one phrase (`string`, `array of File`, `one of: a, b`).
    pub kind: String,
    /// What it is for.
    pub description: String,
}

/// A shared schema.
#[derive(Debug)]
pub struct SchemaDoc {
    /// Name under `components.schemas`.
    pub name: String,
    /// Its type in one phrase.
    pub kind: String,
    /// Description, if any.
    pub description: String,
    /// Its properties, if it is an object.
    pub fields: Vec<FieldDoc>,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Builds the reference from the OpenAPI 3.1 document `json`.
///
/// Errors: the reason, when the text is not JSON or has no `paths` object.
pub fn api_reference(json: &str) -> Result<ApiReference, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let paths = doc["paths"].as_object().ok_or("no paths object")?;
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<OperationDoc>> = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tag = op["tags"][0].as_str().unwrap_or("Other").to_string();
            if !order.contains(&tag) {
                order.push(tag.clone());
            }
            groups
                .entry(tag)
                .or_default()
                .push(operation(&doc, method, path, op));
        }
    }
    let groups = order
        .into_iter()
        .filter_map(|tag| {
            let operations = groups.remove(&tag)?;
            Some(OperationGroup { tag, operations })
        })
        .collect();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(name, schema)| SchemaDoc {
                    name: name.clone(),
                    kind: kind(schema),
                    description: text(&schema["description"]),
                    fields: properties(schema),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ApiReference {
        title: text(&doc["info"]["title"]),
        description: text(&doc["info"]["description"]),
        groups,
        schemas,
    })
}

fn operation(doc: &Value, method: &str, path: &str, op: &Value) -> OperationDoc {
    let auth = op["security"]
        .as_array()
        .map(|schemes| {
            let names: Vec<&str> = schemes
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|s| s.keys())
                .map(|k| match k.as_str() {
                    "bearer" => "agent API key (Authorization: Bearer hpr_...)",
                    "session" => "session cookie",
                    other => other,
                })
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(" or ")
            }
        })
        .unwrap_or_else(|| "none".to_string());
    let parameters = op["parameters"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    let p = resolve(doc, p);
                    FieldDoc {
                        name: text(&p["name"]),
                        location: text(&p["in"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        kind: kind(&p["schema"]),
                        description: text(&p["description"]),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let body = op["requestBody"]["content"]
        .as_object()
        .and_then(|content| content.iter().next())
        .map(|(media_type, media)| BodyDoc {
            media_type: media_type.clone(),
            schema: kind(&media["schema"]),
            fields: properties(&media["schema"]),
        });
    let mut responses: Vec<(String, String)> = op["responses"]
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(status, r)| (status.clone(), text(&resolve(doc, r)["description"])))
                .collect()
        })
        .unwrap_or_default();
    responses.sort();
    OperationDoc {
        anchor: format!(
            "{method}{}",
            path.replace(['/', '{', '}'], "-").trim_end_matches('-')
        ),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text(&op["summary"]),
        description: text(&op["description"]),
        auth,
        parameters,
        body,
        responses,
    }
}

/// Follows a local `$ref` (`#/components/...`); anything else is returned as it is.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(value),
        None => value,
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A schema in one phrase.
fn kind(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    if let Some(choices) = schema["enum"].as_array() {
        let names: Vec<String> = choices
            .iter()
            .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
            .collect();
        return format!("one of: {}", names.join(", "));
    }
    match schema["type"].as_str() {
        Some("array") => format!("array of {}", kind(&schema["items"])),
        Some(t) => match schema["format"].as_str() {
            Some(format) => format!("{t} ({format})"),
            None => t.to_string(),
        },
        None => match schema["type"].as_array() {
            Some(types) => types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or "),
            None => "any".to_string(),
        },
    }
}

/// The top-level properties of an object schema.
fn properties(schema: &Value) -> Vec<FieldDoc> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(name, p)| FieldDoc {
                    name: name.clone(),
                    location: "body".to_string(),
                    required: required.contains(&name.as_str()),
                    kind: kind(p),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_document_is_listed() -> Result<(), String> {
        let api = api_reference(OPENAPI_JSON)?;
        let doc: Value = serde_json::from_str(OPENAPI_JSON).map_err(|e| e.to_string())?;
        let expected: usize = doc["paths"]
            .as_object()
            .map(|p| {
                p.values()
                    .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
                    .sum()
            })
            .unwrap_or(0);
        let listed: usize = api.groups.iter().map(|g| g.operations.len()).sum();
        assert_eq!(listed, expected);
        assert!(expected > 40, "{expected}");
        let every = api.groups.iter().flat_map(|g| &g.operations);
        for op in every {
            assert!(!op.summary.is_empty(), "{} {}", op.method, op.path);
            assert!(!op.responses.is_empty(), "{} {}", op.method, op.path);
        }
        Ok(())
    }

    #[test]
    fn references_are_resolved() -> Result<(), String> {
        let api = api_reference(OPENAPI_JSON)?;
        let heartbeat = api
            .groups
            .iter()
            .flat_map(|g| &g.operations)
            .find(|op| op.path == "/api/v1/agent/heartbeat")
            .ok_or("no heartbeat")?;
        assert_eq!(heartbeat.parameters[0].name, "Idempotency-Key");
        assert_eq!(heartbeat.parameters[0].location, "header");
        assert!(
            heartbeat
                .responses
                .iter()
                .any(|(s, d)| s == "401" && d == "A 4xx with a reason")
        );
        Ok(())
    }
}
