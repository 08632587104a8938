//! The console without a terminal: the same [`update`] and the same network code
//! ([`net::perform`]), run to completion after each action. Used by the end-to-end tests to
//! drive the console against a real server.

use std::collections::VecDeque;

/// Keys, re-exported so tests need no terminal crate of their own.
pub use ratatui::crossterm::event::KeyCode;
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};

use crate::action::{Action, Effect};
use crate::api::AdminClient;
use crate::app::{App, update};
use crate::keys::map_key;
use crate::net;

/// An [`App`] wired to a server, stepping synchronously from the caller's point of view.
#[derive(Debug)]
pub struct Headless {
    /// The console's state.
    pub app: App,
    client: AdminClient,
}

impl Headless {
    /// A console for `client`'s server at `now_ms`, after its first loads.
    pub async fn start(client: AdminClient, now_ms: i64) -> Headless {
        let mut h = Headless {
            app: App::new(client.base(), now_ms),
            client,
        };
        let effects = h.app.start();
        h.run(effects).await;
        h
    }

    /// Applies `action`, then performs every effect it (and the answers) ask for.
    pub async fn dispatch(&mut self, action: Action) {
        let effects = update(&mut self.app, action);
        self.run(effects).await;
    }

    /// Presses `code` (no modifiers), as the terminal would.
    pub async fn press(&mut self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        if let Some(action) = map_key(&self.app, key) {
            self.dispatch(action).await;
        }
    }

    /// Types `text` character by character.
    pub async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    async fn run(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            let answer = net::perform(&self.client, effect, &|_| {}).await;
            queue.extend(update(&mut self.app, Action::Net(answer)));
        }
    }
}
