//! Roles decide what a user may see and do. Enforced in the engine's command
//! layer and the HTTP server, not only hidden in the UI.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Enters and manages their own orders.
    Advisor,
    /// Same rights as an advisor.
    RelationshipManager,
    /// Sees every desk, configures algos, uses kill-all.
    Supervisor,
    /// Everything a supervisor can, plus administration.
    Admin,
    /// Client persona: no execution rights.
    Client,
    /// Client persona: no execution rights.
    Prospect,
    /// Client persona: no execution rights.
    RetailClient,
    /// Client persona: no execution rights.
    AffluentClient,
    /// Client persona: no execution rights.
    UhnwClient,
    /// Client persona: no execution rights.
    FamilyOfficePrincipal,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 10] = [
        Role::Advisor,
        Role::RelationshipManager,
        Role::Supervisor,
        Role::Admin,
        Role::Client,
        Role::Prospect,
        Role::RetailClient,
        Role::AffluentClient,
        Role::UhnwClient,
        Role::FamilyOfficePrincipal,
    ];
    /// SCREAMING_SNAKE_CASE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Advisor => "ADVISOR",
            Role::RelationshipManager => "RELATIONSHIP_MANAGER",
            Role::Supervisor => "SUPERVISOR",
            Role::Admin => "ADMIN",
            Role::Client => "CLIENT",
            Role::Prospect => "PROSPECT",
            Role::RetailClient => "RETAIL_CLIENT",
            Role::AffluentClient => "AFFLUENT_CLIENT",
            Role::UhnwClient => "UHNW_CLIENT",
            Role::FamilyOfficePrincipal => "FAMILY_OFFICE_PRINCIPAL",
        }
    }
    /// May use execution routes at all (client personas may not).
    pub fn can_execute(self) -> bool {
        matches!(self, Role::Advisor | Role::RelationshipManager | Role::Supervisor | Role::Admin)
    }
    /// Sees and acts on every tenant's orders, configures algos, kill-all.
    pub fn is_supervisor(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.as_str() == norm).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("role '{}' is not one of: {}", s.trim(), names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_cannot_execute() {
        assert!(Role::Advisor.can_execute());
        assert!(!Role::Advisor.is_supervisor());
        assert!(Role::Admin.is_supervisor());
        for r in [
            Role::Client,
            Role::Prospect,
            Role::RetailClient,
            Role::AffluentClient,
            Role::UhnwClient,
            Role::FamilyOfficePrincipal,
        ] {
            assert!(!r.can_execute(), "{r}");
        }
        assert_eq!("relationship-manager".parse::<Role>().unwrap(), Role::RelationshipManager);
    }
}
