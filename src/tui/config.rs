//! The user's defaults: `config.toml` in the platform config directory
//! (`directories`), with `keymap.toml` and a `themes/` folder beside it.
//! A bad file is an error naming the file, the line and the key; the app
//! starts with defaults instead only when the user says so
//! (`--default-config`).

use super::theme::toml_error;
use crate::model::Role;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Everything the config file may set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Theme name: built in (dark, light, high-contrast, monochrome) or a file in `themes/`.
    pub theme: String,
    /// Keymap preset (default, vim); `keymap.toml` beside the config is merged over it.
    pub keymap: String,
    /// Simulated seconds per wall second for the embedded engine.
    pub speed: f64,
    /// Seed of the embedded engine's market.
    pub seed: u64,
    /// Trading date YYYY-MM-DD (default: the latest US trading day up to today).
    pub date: Option<String>,
    /// Instruments to simulate (default: every instrument in the universe).
    pub symbols: Option<Vec<String>>,
    /// Wall-clock time (HH:MM, New York) the embedded simulation starts at.
    pub start: String,
    /// The desk user of the embedded engine.
    pub user: String,
    /// The desk's tenant.
    pub tenant: String,
    /// The desk's role (SUPERVISOR may kill-all).
    pub role: String,
    /// Frames per second at most.
    pub max_fps: u32,
    /// Mouse: wheel scrolls, click selects (hold shift to select text in most terminals).
    pub mouse: bool,
    /// Sidecar URL to open the UI on (`--connect` wins); unset = the embedded engine.
    pub connect: Option<String>,
    /// The desk's time zone: every time on screen is shown in it, labelled (IANA name).
    pub tz: String,
    /// When the supervisor view raises an alert (`[alerts]`).
    pub alerts: super::supervisor::alerts::Thresholds,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: "dark".into(),
            keymap: "default".into(),
            speed: 10.0,
            seed: 42,
            date: None,
            symbols: None,
            start: "09:30".into(),
            user: "desk".into(),
            tenant: "local".into(),
            role: Role::Supervisor.as_str().into(),
            max_fps: 100,
            mouse: true,
            connect: None,
            tz: "America/New_York".into(),
            alerts: Default::default(),
        }
    }
}

/// A config file that could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// Line, key and what is wrong.
    pub message: String,
}

/// Where the user's files live.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// `config.toml`.
    pub config: PathBuf,
    /// `keymap.toml`, merged over the preset.
    pub keymap: PathBuf,
    /// Folder of user themes (`NAME.toml`).
    pub themes: PathBuf,
    /// Default log file.
    pub log: PathBuf,
}

impl Paths {
    /// The platform directories (`~/.config/blotter` on Linux), or `./.blotter` if there is no home.
    pub fn platform() -> Paths {
        match directories::ProjectDirs::from("", "", "blotter") {
            Some(d) => Paths::in_dirs(d.config_dir(), d.data_local_dir()),
            None => Paths::in_dirs(Path::new(".blotter"), Path::new(".blotter")),
        }
    }
    /// Paths under explicit config and data directories.
    pub fn in_dirs(config: &Path, data: &Path) -> Paths {
        Paths {
            config: config.join("config.toml"),
            keymap: config.join("keymap.toml"),
            themes: config.join("themes"),
            log: data.join("blotter.log"),
        }
    }
}

impl Config {
    /// Parses a config file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError { file: file.to_string(), message };
        let c: Config = toml::from_str(text).map_err(|e| err(toml_error(text, &e)))?;
        let at = |key: &str| super::theme::line_defining(text, key);
        if !(c.speed.is_finite() && c.speed > 0.0 && c.speed <= 100_000.0) {
            return Err(err(format!(
                "line {}, key 'speed': {} is out of range; allowed: (0, 100000]",
                at("speed"),
                c.speed
            )));
        }
        if let Err(e) = c.role.parse::<Role>() {
            return Err(err(format!("line {}, key 'role': {e}", at("role"))));
        }
        if crate::model::time::parse_hhmm(&c.start).is_none() {
            return Err(err(format!("line {}, key 'start': '{}' is not a time; allowed: HH:MM", at("start"), c.start)));
        }
        if let Some(d) = &c.date
            && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
        {
            return Err(err(format!("line {}, key 'date': '{d}' is not a date; allowed: YYYY-MM-DD", at("date"))));
        }
        if !(1..=1000).contains(&c.max_fps) {
            return Err(err(format!(
                "line {}, key 'max_fps': {} is out of range; allowed: 1..=1000",
                at("max_fps"),
                c.max_fps
            )));
        }
        if c.tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(err(format!(
                "line {}, key 'tz': '{}' is not a time zone; allowed: an IANA name such as America/New_York, Europe/Zurich, UTC",
                at("tz"),
                c.tz
            )));
        }
        if let Err((key, msg)) = c.alerts.validate() {
            return Err(err(format!("line {}, key 'alerts.{key}': {msg}", at(key))));
        }
        if let Some(u) = &c.connect
            && !u.trim().starts_with("http://")
        {
            return Err(err(format!(
                "line {}, key 'connect': '{u}' is not an http:// URL; allowed: http://HOST:PORT (this build has no TLS)",
                at("connect")
            )));
        }
        Ok(c)
    }

    /// Loads `path`: defaults if it does not exist, an error if it is unreadable or wrong.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError { file: path.display().to_string(), message: e.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_a_partial_file_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::load(&dir.path().join("none.toml")).unwrap(), Config::default());
        let c = Config::parse("c.toml", "theme = \"light\"\nspeed = 60\n").unwrap();
        assert_eq!((c.theme.as_str(), c.speed, c.keymap.as_str()), ("light", 60.0, "default"));
    }

    #[test]
    fn the_readme_example_is_a_valid_config() {
        let readme = include_str!("../../docs/user-guide.md");
        let start = readme.find("```toml\ntheme = ").expect("the user guide has the config example") + 8;
        let end = start + readme[start..].find("```").unwrap();
        let c = Config::parse("docs/user-guide.md", &readme[start..end]).unwrap();
        assert_eq!(c.symbols.as_deref().map(<[String]>::len), Some(3));
    }

    #[test]
    fn bad_files_name_file_line_and_key() {
        let e =
            Config::parse("/home/u/.config/blotter/config.toml", "theme = \"dark\"\nspeed = \"fast\"\n").unwrap_err();
        assert!(e.to_string().starts_with("/home/u/.config/blotter/config.toml: line 2, key 'speed'"), "{e}");
        let e = Config::parse("c.toml", "theme = \"dark\"\n\ncolour = \"red\"\n").unwrap_err();
        assert!(e.message.contains("line 3") && e.message.contains("colour"), "{e}");
        let e = Config::parse("c.toml", "speed = -2\n").unwrap_err();
        assert!(e.message.contains("line 1, key 'speed'") && e.message.contains("(0, 100000]"), "{e}");
        let e = Config::parse("c.toml", "role = \"pilot\"\n").unwrap_err();
        assert!(e.message.contains("key 'role'") && e.message.contains("SUPERVISOR"), "{e}");
    }
}
