//! End to end in a real terminal: the binary in tmux, embedded, over a sidecar and in the demo.

#[path = "../tmux/mod.rs"]
mod tmux;

mod demo_tmux;
mod tui_remote_tmux;
mod tui_tmux;
