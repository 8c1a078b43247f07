//! Who may call which route. The table is the server's first gate (every
//! refusal is audited); the engine's command layer enforces ownership and
//! roles again underneath, so embedded use is just as safe.

use crate::model::Role;
use axum::http::Method;

/// What a route needs. Client personas (CLIENT, PROSPECT, ...) have none
/// of these: every `/v1` route refuses them; only `/healthz`, `/readyz` and
/// `/openapi.json`, outside the gate, answer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A role that may execute: ADVISOR, RELATIONSHIP_MANAGER, SUPERVISOR, ADMIN.
    Execute,
    /// SUPERVISOR or ADMIN: every desk's orders, kill-all, algo config, aggregated TCA, speed.
    Supervise,
    /// ADMIN only: the trading mode.
    Admin,
    /// Every role, client personas included: `/healthz` and `/readyz` for a
    /// caller who presents a token (the handler decides how much it says).
    Any,
}

impl Access {
    /// Whether `role` has this access.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Execute => role.can_execute(),
            Access::Supervise => role.is_supervisor(),
            Access::Admin => role == Role::Admin,
            Access::Any => true,
        }
    }

    /// What a refused caller is told.
    pub fn refusal(self, role: Role, method: &Method, path: &str) -> String {
        let needs = match self {
            Access::Execute => "an execution role (ADVISOR, RELATIONSHIP_MANAGER, SUPERVISOR or ADMIN)",
            Access::Supervise => "the SUPERVISOR or ADMIN role",
            Access::Admin => "the ADMIN role",
            Access::Any => "a valid token",
        };
        format!("{method} {path} needs {needs}; you are {role}")
    }
}

/// The access a route needs, by method and route template; `None` for a
/// route missing from the table, which is then refused (fail closed).
pub fn required(method: &Method, route: &str) -> Option<Access> {
    use Access::*;
    let m = method.as_str();
    Some(match (m, route) {
        ("GET", "/healthz" | "/readyz") => Any,
        ("PUT", "/v1/mode") => Admin,
        ("PUT", "/v1/clock" | "/v1/config/algos" | "/v1/risk/limits" | "/v1/risk/state" | "/v1/risk/execution")
        | ("POST", "/v1/kill" | "/v1/kill/{tenant}")
        | ("GET", "/v1/tca" | "/v1/risk" | "/v1/audit") => Supervise,
        ("POST", "/v1/orders" | "/v1/estimate" | "/v1/schedule")
        | ("GET", "/v1/orders" | "/v1/orders/{id}" | "/v1/orders/{id}/tca" | "/v1/book/{symbol}" | "/v1/venues")
        | ("GET", "/v1/config/algos" | "/v1/events")
        | ("GET", "/v1/whoami" | "/v1/mode" | "/v1/clock" | "/v1/instruments")
        | ("PATCH", "/v1/orders/{id}")
        | ("POST", "/v1/orders/{id}/cancel" | "/v1/orders/{id}/pause" | "/v1/orders/{id}/resume") => Execute,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_are_refused_every_execution_route() {
        let persona = Role::ALL.into_iter().filter(|r| !r.can_execute());
        for r in persona {
            assert!(!Access::Execute.allows(r) && !Access::Supervise.allows(r) && !Access::Admin.allows(r));
            for route in ["/v1/whoami", "/v1/mode", "/v1/clock", "/v1/instruments"] {
                assert!(!required(&Method::GET, route).unwrap().allows(r), "{r} on {route}");
            }
        }
        assert!(Access::Supervise.allows(Role::Admin) && !Access::Supervise.allows(Role::RelationshipManager));
        assert!(!Access::Admin.allows(Role::Supervisor));
        assert_eq!(required(&Method::DELETE, "/v1/orders/{id}"), None, "not in the table: refused");
        assert!(Access::Admin.refusal(Role::Advisor, &Method::PUT, "/v1/mode").contains("ADMIN"));
    }
}
