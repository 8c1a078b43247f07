//! The tmux harness of the end-to-end tests: the real binary in a real
//! terminal, driven by keys and read back from the screen.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// One session on a tmux server private to the test (`tmux -L socket`), so
/// other tmux users on the machine (and their `kill-server`) cannot disturb
/// it; the session is killed when the value drops, and the server exits with
/// its last session.
pub struct Tmux {
    socket: String,
    /// The session's name.
    pub session: String,
}

impl Tmux {
    /// Runs `cmd` in a new detached session of `width` x `height`.
    pub fn start(socket: &str, session: &str, width: u16, height: u16, cmd: &str) -> Tmux {
        let t = Tmux { socket: socket.to_string(), session: session.to_string() };
        let (w, h) = (width.to_string(), height.to_string());
        t.run(&["new-session", "-d", "-s", session, "-x", &w, "-y", &h, cmd]);
        t
    }

    /// One tmux command on this server; its standard output.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs (.ci/run installs it)");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Presses keys (tmux key names), one at a time as a person would.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", &self.session, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Types text literally.
    pub fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// What the pane shows now.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// The screen once `pred` holds; fails the test after `secs` seconds.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A tmux format evaluated on the pane (`#{alternate_on}`, `#{cursor_flag}`...).
    pub fn display(&self, fmt: &str) -> String {
        self.run(&["display-message", "-p", "-t", &self.session, fmt]).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-session", "-t", &self.session]).output();
    }
}

/// Whether tmux is installed (the tests skip, saying so, when it is not).
pub fn tmux_present() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}
