//! The OpenAPI document, built from the handlers' annotations (utoipa, at
//! compile time: nothing is downloaded) and served at `/openapi.json`.
//!
//! After the routes are collected, every `/v1` operation gets the error
//! responses it can give (all `{code, message, field}`), and request bodies
//! are marked closed (`additionalProperties: false`), matching the server,
//! which refuses unknown fields.

use super::{ApiState, desk, market, orders, risk, sse, system};
use crate::client::{ClientError, TcaGroupBy};
use crate::model::{AlgoKind, ParentStatus};
use axum::Router;
use utoipa::openapi::header::Header;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Doc, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "blotter",
        description = "The sidecar of the blotter execution terminal: one paper execution engine shared over HTTP. \
            Paper mode only: this build has no live venue adapters.",
    ),
    modifiers(&Bearer),
    security(("bearer" = [])),
    // Types only query parameters refer to are registered here.
    components(schemas(ClientError, TcaGroupBy, ParentStatus, AlgoKind, desk::AuditOutcome)),
    tags(
        (name = "orders", description = "Parent orders: submit, list, amend, cancel, pause, resume, TCA"),
        (name = "desk", description = "Kill-all, estimates, schedules, aggregated TCA, algo configuration, audit log, mode"),
        (name = "risk", description = "Risk limits, trading states, execution per tenant, per-tenant kill switch"),
        (name = "market", description = "Books, venues, instruments and the simulated clock"),
        (name = "events", description = "The live event stream (Server-Sent Events)"),
        (name = "system", description = "Health, readiness and identity"),
    )
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut Doc) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Errors every `/v1` operation may answer with.
const ERRORS: [(&str, &str); 11] = [
    ("400", "Invalid input: malformed JSON, a value out of range, an unknown symbol, a bad id or query"),
    ("401", "No token, or an invalid or revoked one (`unauthorized`), or an expired one (`token_expired`)"),
    ("403", "The caller's role may not do this"),
    ("404", "No such order (or not the caller's), symbol or route"),
    ("408", "The request took too long"),
    ("409", "The order's state or the desk's configuration does not allow it"),
    ("413", "The request body is over the size limit"),
    ("415", "The request body is not JSON"),
    ("422", "The body is JSON of the wrong shape: a wrong type, a missing or unknown field"),
    ("429", "Over the token's rate limit (see Retry-After)"),
    ("503", "The engine or its ledger is unavailable"),
];

/// Request bodies whose unknown fields the server refuses.
const CLOSED: [&str; 10] = [
    "OrderRequest",
    "Amendment",
    "AlgoConfig",
    "AlgoSettings",
    "ModeRequest",
    "SpeedRequest",
    "LimitsRequest",
    "Limits",
    "StateRequest",
    "ExecutionRequest",
];

/// The `/v1` routes (behind the gate), the public routes, and the document.
pub fn routes() -> (Router<ApiState>, Router<ApiState>, Doc) {
    let (v1, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orders::submit, orders::list))
        .routes(routes!(orders::detail, orders::amend))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::pause))
        .routes(routes!(orders::resume))
        .routes(routes!(orders::tca))
        .routes(routes!(desk::kill))
        .routes(routes!(desk::estimate))
        .routes(routes!(desk::schedule))
        .routes(routes!(desk::tca_groups))
        .routes(routes!(desk::get_algos, desk::put_algos))
        .routes(routes!(desk::audit))
        .routes(routes!(desk::get_mode, desk::put_mode))
        .routes(routes!(risk::view))
        .routes(routes!(risk::limits))
        .routes(routes!(risk::state))
        .routes(routes!(risk::execution))
        .routes(routes!(risk::kill_tenant))
        .routes(routes!(market::book))
        .routes(routes!(market::venues))
        .routes(routes!(market::instruments))
        .routes(routes!(market::clock, market::set_speed))
        .routes(routes!(sse::events))
        .routes(routes!(system::whoami))
        .split_for_parts();
    let (public, public_doc) =
        OpenApiRouter::new().routes(routes!(system::healthz)).routes(routes!(system::readyz)).split_for_parts();
    doc.merge(public_doc);
    finish(&mut doc);
    (v1, public, doc)
}

fn finish(doc: &mut Doc) {
    let error = |why: &str| {
        ResponseBuilder::new()
            .description(why)
            .content("application/json", Content::new(Some(Ref::from_schema_name("ClientError"))))
            .build()
    };
    let mode = Header::builder()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["paper"]))))
        .description(Some("The execution mode: always paper in this build (no live venue adapters)."))
        .build();
    for (path, item) in doc.paths.paths.iter_mut() {
        let v1 = path.starts_with("/v1/");
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten() {
            if v1 {
                for (code, why) in ERRORS {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| RefOr::T(error(why)));
                }
            }
            for r in op.responses.responses.values_mut() {
                if let RefOr::T(r) = r {
                    r.headers.insert(super::MODE_HEADER.to_string(), RefOr::T(mode.clone()));
                }
            }
        }
    }
    if let Some(c) = doc.components.as_mut() {
        for name in CLOSED {
            if let Some(RefOr::T(Schema::Object(o))) = c.schemas.get_mut(name) {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// The whole document (what `/openapi.json` serves).
pub fn document() -> Doc {
    routes().2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_errors_and_in_the_access_table() {
        let doc = document();
        let mut n = 0;
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (m, op) in ops {
                let Some(op) = op else { continue };
                n += 1;
                if path.starts_with("/v1/") {
                    let method = axum::http::Method::from_bytes(m.as_bytes()).unwrap();
                    assert!(super::super::policy::required(&method, path).is_some(), "{m} {path} has no access rule");
                    for code in ["400", "401", "403", "429"] {
                        assert!(op.responses.responses.contains_key(code), "{m} {path} lacks {code}");
                    }
                }
            }
        }
        assert_eq!(n, 31, "operations documented");
        let json = serde_json::to_value(&doc).unwrap();
        let order = &json["components"]["schemas"]["OrderRequest"];
        assert_eq!(order["additionalProperties"], false);
        assert!(order["required"].as_array().unwrap().iter().any(|v| v == "qty"));
    }

    #[test]
    fn errors_show_code_message_field_only_and_tca_and_layers_take_their_queries() {
        let json = serde_json::to_value(document()).unwrap();
        let props = json["components"]["schemas"]["ClientError"]["properties"].as_object().unwrap();
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["code", "field", "message"], "where a refusal was audited stays in-process");
        let params = |path: &str, m: &str| -> Vec<String> {
            let ps = json["paths"][path][m]["parameters"].as_array().cloned().unwrap_or_default();
            ps.iter().map(|p| p["name"].as_str().unwrap_or_default().to_string()).collect()
        };
        assert_eq!(params("/v1/tca", "get"), ["group_by", "since", "until"]);
        assert_eq!(params("/v1/config/algos", "get"), ["tenant"]);
        assert_eq!(params("/v1/config/algos", "put"), ["tenant"]);
    }
}
