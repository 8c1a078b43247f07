//! `blotter token create|revoke|expire|list`: bearer tokens for `blotter serve`,
//! kept in the ledger (`--db`, hashes only, every change audited) or, with
//! `--tokens FILE`, in a file (which then wins over the ledger).

use super::CliError;
use super::ledger_args::store_error;
use crate::api::ledger::LedgerTokens;
use crate::api::tokens::{self, FileTokens, TokenStore};
use crate::engine::Actor;
use crate::model::Role;
use crate::store::Ledger;
use chrono::SecondsFormat;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Flags of `blotter token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Ledger database holding the tokens: sqlite:PATH or postgres://USER@HOST/DB
    /// (default: ledger.db in the user's data directory), shared with `blotter serve --db`.
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB", global = true)]
    db: Option<String>,
    /// A token file (hashes only) instead of the ledger, shared with `blotter serve --tokens`.
    #[arg(long, value_name = "FILE", env = "BLOTTER_TOKENS", global = true)]
    tokens: Option<PathBuf>,
    #[command(subcommand)]
    cmd: TokenCmd,
}

/// Who the command acts as in the ledger's audit log: the operating-system user, as ADMIN.
pub fn operator() -> Actor {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "desk".into());
    Actor { user: user.as_str().into(), tenant: "local".into(), role: Role::Admin }
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
        /// When the token stops being accepted: a duration from now (90m, 8h, 30d, 2w)
        /// or an RFC 3339 time with its zone (2027-01-31T00:00:00Z). Default: it never
        /// expires (until revoked). Open event streams of a token end when it expires.
        #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
        expires: Option<String>,
    },
    /// Revokes a token by its id (see `list`) or the token itself.
    Revoke {
        /// Token id or token.
        key: String,
    },
    /// Changes when a token stops being accepted, keeping the token (nothing new to hand
    /// out). Running servers honour it at once: new requests within a second, and open
    /// event streams of the token end at the new expiry.
    Expire {
        /// Token id (see `list`) or token.
        key: String,
        /// The new expiry: a duration from now (90m, 8h, 30d, 2w), an RFC 3339 time with
        /// its zone (2027-01-31T00:00:00Z), or `never`.
        #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
        at: String,
    },
    /// Lists tokens: id, user, tenant, role, created, expiry (UTC), and whether each is
    /// live, expired or revoked (never the token).
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
    // The ledger (when used) lives until the command is done: its runtime runs the queries.
    let mut ledger = None;
    let (store, place): (Box<dyn TokenStore>, String) = match &a.tokens {
        Some(file) => (Box::new(FileTokens::new(file)), file.display().to_string()),
        None => {
            let l = ledger.insert(Ledger::open_arg(a.db.as_deref()).map_err(store_error)?);
            (Box::new(LedgerTokens::new(l.handle(), operator())), l.target().to_string())
        }
    };
    let runtime = |e: tokens::StoreError| CliError::runtime(e.to_string());
    match &a.cmd {
        TokenCmd::Create { user, tenant, role, expires } => {
            let role: Role = role.parse().map_err(|e| CliError::usage(format!("--role: {e}")))?;
            let expires = expires
                .as_deref()
                .map(|w| tokens::parse_expiry(w, chrono::Utc::now()))
                .transpose()
                .map_err(|e| CliError::usage(format!("--expires: {e}")))?;
            let (token, mut record) = tokens::generate(user, tenant, role).map_err(|e| CliError::usage(e.0))?;
            record.expires_at = expires;
            block(store.insert(record))?.map_err(runtime)?;
            println!("{token}");
        }
        TokenCmd::Revoke { key } => {
            if !block(store.revoke(key))?.map_err(runtime)? {
                return Err(CliError::usage(format!("no live token matches '{key}' in {place}")));
            }
            eprintln!("revoked");
        }
        TokenCmd::Expire { key, at } => {
            let expires =
                match at.trim() {
                    "never" => None,
                    w => Some(tokens::parse_expiry(w, chrono::Utc::now()).map_err(|e| {
                        CliError::usage(format!("--at: {e}; or `never` for a token that does not expire"))
                    })?),
                };
            if !block(store.set_expiry(key, expires))?.map_err(runtime)? {
                return Err(CliError::usage(format!("no live token matches '{key}' in {place} (see `token list`)")));
            }
            match expires {
                Some(t) => eprintln!("expires {} (UTC)", t.to_rfc3339_opts(SecondsFormat::Secs, true)),
                None => eprintln!("never expires (until revoked)"),
            }
        }
        TokenCmd::List { json } => {
            let list = block(store.list())?.map_err(runtime)?;
            let now = chrono::Utc::now();
            let expiry = |r: &tokens::TokenRecord| r.expires_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
            let state = |r: &tokens::TokenRecord| match (r.revoked, r.expired_at(now)) {
                (true, _) => "revoked",
                (false, true) => "expired",
                (false, false) => "live",
            };
            if *json {
                let v: Vec<_> = list
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "user": r.user, "tenant": r.tenant, "role": r.role,
                            "created_at": r.created_at, "expires_at": expiry(r),
                            "revoked": r.revoked, "expired": r.expired_at(now), "state": state(r),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).map_err(|e| CliError::runtime(e.to_string()))?);
            } else {
                // Times are UTC (the Z); a token without expiry says `never`.
                println!(
                    "{:<12}  {:<12} {:<8} {:<24} {:<20}  {:<20}  STATE",
                    "ID", "USER", "TENANT", "ROLE", "CREATED (UTC)", "EXPIRES (UTC)"
                );
                for r in &list {
                    println!(
                        "{}  {:<12} {:<8} {:<24} {:<20}  {:<20}  {}",
                        r.id,
                        r.user,
                        r.tenant,
                        r.role,
                        r.created_at,
                        expiry(r).unwrap_or_else(|| "never".into()),
                        state(r)
                    );
                }
            }
        }
    }
    Ok(())
}
