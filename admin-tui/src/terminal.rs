//! The interactive loop: terminal set up by `ratatui::try_init` (raw mode, alternate
//! screen, a panic hook that restores the terminal), keys read on a blocking thread,
//! network answers from [`net::spawn`]ed tasks, a one-second tick. The loop only draws and
//! calls `update`; it never waits on the network. The terminal is restored on exit, on
//! error, on panic (hook), on Ctrl-C (a key in raw mode) and on SIGINT/SIGTERM.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event};
use tokio::sync::mpsc;

use crate::action::{Action, NetEvent};
use crate::api::AdminClient;
use crate::app::{App, update};
use crate::config::Config;
use crate::keys::map_key;
use crate::{net, ui};

/// Wall-clock time (Unix ms).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs the console until the user quits.
///
/// Errors: the terminal cannot be set up or drawn on.
pub async fn run(config: Config) -> Result<()> {
    let client = AdminClient::new(&config.url, config.token)?;
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, client).await;
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut DefaultTerminal, client: AdminClient) -> Result<()> {
    let (key_tx, mut key_rx) = mpsc::unbounded_channel::<Event>();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if key_tx.send(ev).is_err() {
                break;
            }
        }
    });
    let (net_tx, mut net_rx) = mpsc::unbounded_channel::<NetEvent>();
    let mut app = App::new(client.base(), now_ms());
    for effect in app.start() {
        net::spawn(&client, effect, &net_tx);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        terminal.draw(|f| ui::draw(&app, f))?;
        let action = tokio::select! {
            Some(ev) = key_rx.recv() => match ev {
                Event::Key(key) => map_key(&app, key),
                // The next draw uses the new size.
                _ => None,
            },
            Some(ev) = net_rx.recv() => Some(Action::Net(ev)),
            _ = tick.tick() => Some(Action::Tick { now_ms: now_ms() }),
            _ = tokio::signal::ctrl_c() => Some(Action::Quit),
            _ = term.recv() => Some(Action::Quit),
        };
        if let Some(action) = action {
            for effect in update(&mut app, action) {
                net::spawn(&client, effect, &net_tx);
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}
