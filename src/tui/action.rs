//! What a key can ask for. Keymaps name these in snake_case (`run = "new_order"`),
//! so the enum is the vocabulary of the keymap files.

use serde::{Deserialize, Serialize};

/// One user intention, independent of the key that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave (asks first if orders are working).
    Quit,
    /// Show or hide the key list.
    Help,
    /// Open the order ticket.
    NewOrder,
    /// Change the selected order's quantity or limit.
    Amend,
    /// Cancel the selected order (asks first).
    Cancel,
    /// Pause the selected order.
    Pause,
    /// Resume the selected order.
    Resume,
    /// Cancel every working child and pause every order (asks for typed confirmation).
    KillAll,
    /// Run the simulation faster.
    SpeedUp,
    /// Run the simulation slower.
    SpeedDown,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Next tab of the detail pane.
    NextTab,
    /// Previous tab of the detail pane.
    PrevTab,
    /// Show the venue routing tab.
    TabVenues,
    /// Show the TCA tab.
    TabTca,
    /// Show the alerts tab.
    TabAlerts,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// Go to the first row.
    Top,
    /// Go to the last row.
    Bottom,
    /// Show a parent's child orders.
    Expand,
    /// Hide a parent's child orders.
    Collapse,
    /// Sort by the next column.
    Sort,
    /// Reverse the sort order.
    SortReverse,
    /// Filter the blotter by symbol, status, algo or user.
    Filter,
    /// Jump to an order by id (the command palette; kept for existing keymaps).
    Jump,
    /// The command palette (`:`): an order id to jump to, or filter, theme, speed, tz, export, cancel...
    Command,
    /// Mark or unmark the selected order for a bulk action.
    ToggleMark,
    /// Visual mode: mark the rows from here to where the cursor goes.
    Visual,
    /// Mark every order the filter shows.
    MarkShown,
    /// Drop every mark.
    ClearMarks,
    /// Resume every paused or interrupted order shown (asks first).
    ResumeAll,
    /// A new ticket filled in from the selected order.
    CloneOrder,
    /// Choose the blotter's columns.
    Columns,
    /// Scroll the blotter's columns left.
    ScrollLeft,
    /// Scroll the blotter's columns right.
    ScrollRight,
    /// The log of every message.
    MessageLog,
    /// Show the positions tab.
    TabPositions,
    /// Give the focused pane the whole screen, or share it again.
    Zoom,
    /// Copy the selected order id to the clipboard.
    CopyId,
    /// Switch to the next theme.
    CycleTheme,
    /// Ticket: next field.
    NextField,
    /// Ticket: previous field.
    PrevField,
    /// Ticket: next choice of a choice field.
    ChoiceNext,
    /// Ticket: previous choice of a choice field.
    ChoicePrev,
    /// Ticket: complete the symbol.
    Complete,
    /// Ticket: review the order in words before sending.
    Review,
    /// Accept a dialog or prompt.
    Confirm,
    /// Close a dialog, prompt, overlay or the ticket.
    Dismiss,
    /// Show or leave the supervisor view of every desk (SUPERVISOR and ADMIN only).
    SupervisorView,
    /// Supervisor view: group the TCA by the next of algo, venue, desk and day.
    TcaGrouping,
    /// Supervisor view: edit the selected tenant's risk limits.
    EditLimits,
    /// Supervisor view: set the selected tenant ACTIVE (asks first).
    SetActive,
    /// Supervisor view: set the selected tenant REDUCING (asks first).
    SetReducing,
    /// Supervisor view: set the selected tenant HALTED (asks first).
    SetHalted,
    /// Supervisor view: enable or disable execution for the selected tenant (asks first).
    ToggleExecution,
    /// Supervisor view: kill switch for the selected tenant (asks for its name typed).
    KillTenant,
    /// Supervisor view: list a desk by name in the risk pane (one the engine may not know yet).
    AddTenant,
    /// Supervisor view: edit a user's override of the selected tenant's limits (asks for the user).
    UserLimits,
    /// Supervisor view: set every desk's trading state (asks for the state typed).
    GlobalState,
    /// Demo: show the next step now (fast-forwarding the clock to its time).
    DemoNext,
    /// Demo: leave the script (no more steps; the clock runs on).
    DemoLeave,
    /// Does nothing (unbinds a default key in a user keymap).
    Unbind,
}

impl Action {
    /// Only offered while a demo script plays.
    pub fn needs_demo(self) -> bool {
        matches!(self, Action::DemoNext | Action::DemoLeave)
    }

    /// Only SUPERVISOR and ADMIN have it: for anyone else it is neither shown nor carried out.
    pub fn needs_supervisor(self) -> bool {
        matches!(
            self,
            Action::SupervisorView
                | Action::TcaGrouping
                | Action::EditLimits
                | Action::SetActive
                | Action::SetReducing
                | Action::SetHalted
                | Action::ToggleExecution
                | Action::KillTenant
                | Action::AddTenant
                | Action::UserLimits
                | Action::GlobalState
        )
    }
}
