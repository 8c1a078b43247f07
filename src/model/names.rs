//! The one rule for tenant and user names, wherever a name comes in (tokens,
//! risk commands, the kill switch, algorithm configuration, flags, the UI).

/// What a name may be, for messages.
pub const NAME_RULE: &str = "1-64 characters without spaces, control or invisible characters";

/// Characters that print as nothing or reorder text around them: a name
/// holding one could pass for another on screen.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Checks a tenant or user name (`what` says which); the error names the
/// fault and what is allowed, without echoing an oversized name.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 {
        return Err(format!("a {what} name cannot be empty; allowed: {NAME_RULE}"));
    }
    if n > 64 {
        return Err(format!("a {what} name of {n} characters is too long; allowed: {NAME_RULE}"));
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control() || invisible(*c)) {
        return Err(format!("{c:?} is not allowed in a {what} name; allowed: {NAME_RULE}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_at_and_past_the_rule() {
        assert!(check_name("tenant", "ws").is_ok());
        assert!(check_name("tenant", &"x".repeat(64)).is_ok());
        assert!(check_name("tenant", "désk-ü").is_ok(), "letters beyond ASCII are names too");
        let long = check_name("tenant", &"x".repeat(5_000)).unwrap_err();
        assert_eq!(
            long,
            "a tenant name of 5000 characters is too long; allowed: 1-64 characters without spaces, control or \
             invisible characters"
        );
        assert!(check_name("tenant", "ws\u{202E}").unwrap_err().contains("not allowed"), "a direction override");
        assert!(check_name("tenant", "").unwrap_err().contains("cannot be empty"));
        assert!(check_name("user", "a b").unwrap_err().starts_with("' ' is not allowed in a user name"));
        assert!(check_name("tenant", "a\0b").unwrap_err().starts_with("'\\0' is not allowed"));
    }
}
