//! The terminal UI without a terminal: snapshots, the supervisor view, the worker, config and the demo.

mod demo_tui;
mod tui_config;
mod tui_desk;
mod tui_snapshots;
mod tui_supervisor;
mod tui_worker;
