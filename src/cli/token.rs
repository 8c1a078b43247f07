//! `blotter token create|revoke|list`: bearer tokens for `blotter serve`.

use super::CliError;
use crate::api::tokens::{self, FileTokens, TokenStore};
use crate::model::Role;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Flags of `blotter token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Token file (hashes only), shared with `blotter serve --tokens`.
    #[arg(long, value_name = "FILE", default_value = "blotter-tokens.json", env = "BLOTTER_TOKENS", global = true)]
    tokens: PathBuf,
    #[command(subcommand)]
    cmd: TokenCmd,
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Creates a token and prints it (alone, on stdout): it is not shown again.
    Create {
        /// User name.
        #[arg(long)]
        user: String,
        /// Tenant (desk or firm), e.g. ws.
        #[arg(long)]
        tenant: String,
        /// Role: ADVISOR, RELATIONSHIP_MANAGER, SUPERVISOR, ADMIN or a client persona.
        #[arg(long)]
        role: String,
    },
    /// Revokes a token by its id (see `list`) or the token itself.
    Revoke {
        /// Token id or token.
        key: String,
    },
    /// Lists tokens: id, user, tenant, role, created, revoked (never the token).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn block<T>(f: impl std::future::Future<Output = T>) -> Result<T, CliError> {
    let rt =
        tokio::runtime::Builder::new_current_thread().build().map_err(|e| CliError::runtime(format!("tokio: {e}")))?;
    Ok(rt.block_on(f))
}

pub fn token(a: &TokenArgs) -> Result<(), CliError> {
    let store = FileTokens::new(&a.tokens);
    let runtime = |e: tokens::StoreError| CliError::runtime(e.to_string());
    match &a.cmd {
        TokenCmd::Create { user, tenant, role } => {
            let role: Role = role.parse().map_err(|e| CliError::usage(format!("--role: {e}")))?;
            let (token, record) = tokens::generate(user, tenant, role).map_err(|e| CliError::usage(e.0))?;
            block(store.insert(record))?.map_err(runtime)?;
            println!("{token}");
        }
        TokenCmd::Revoke { key } => {
            if !block(store.revoke(key))?.map_err(runtime)? {
                return Err(CliError::usage(format!("no live token matches '{key}' in {}", a.tokens.display())));
            }
            eprintln!("revoked");
        }
        TokenCmd::List { json } => {
            let list = block(store.list())?.map_err(runtime)?;
            if *json {
                let v: Vec<_> = list
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "user": r.user, "tenant": r.tenant, "role": r.role,
                            "created_at": r.created_at, "revoked": r.revoked,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).map_err(|e| CliError::runtime(e.to_string()))?);
            } else {
                for r in list {
                    let state = if r.revoked { "revoked" } else { "live" };
                    println!("{}  {:<12} {:<8} {:<24} {}  {state}", r.id, r.user, r.tenant, r.role, r.created_at);
                }
            }
        }
    }
    Ok(())
}
