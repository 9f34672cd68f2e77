//! The activity log's **Live** feed: the `auditEvents` subscription over
//! `/graphql/ws` (the `graphql-transport-ws` protocol), signed in by the
//! session cookie the browser sends with the upgrade. Closed when dropped.

use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::api::Operation;
use crate::api::ops::{AuditEventsFilter, AuditLive};

/// What the feed is doing, for the toggle's status line.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Connecting,
    Listening,
    /// Closed by the server or the network, with the reason when given.
    Ended(String),
}

/// An open subscription; dropping it closes the socket.
pub struct Feed {
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onopen(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

fn send(socket: &WebSocket, message: &Value) {
    let _ = socket.send_with_str(&message.to_string());
}

/// Subscribes to the events that pass `filter` (as `auditEvents` takes it).
pub fn open(
    filter: AuditEventsFilter,
    on_event: impl Fn(<AuditLive as Operation>::Data) + 'static,
    on_state: impl Fn(State) + Clone + 'static,
) -> Result<Feed, String> {
    let location = web_sys::window().ok_or("no window")?.location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().map_err(|_| "no host")?;
    let socket = WebSocket::new_with_str(
        &format!("{scheme}://{host}/graphql/ws"),
        "graphql-transport-ws",
    )
    .map_err(|_| "the browser refused the WebSocket".to_string())?;
    on_state(State::Connecting);

    let opened = socket.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        send(
            &opened,
            &json!({ "type": "connection_init", "payload": {} }),
        );
    });
    let reply = socket.clone();
    let state = on_state.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        let Ok(message) = serde_json::from_str::<Value>(&text) else {
            return;
        };
        match message["type"].as_str() {
            Some("connection_ack") => {
                send(
                    &reply,
                    &json!({
                        "id": "1",
                        "type": "subscribe",
                        "payload": { "query": AuditLive::TEXT, "variables": AuditLive { filter: Some(filter.clone()) } },
                    }),
                );
                state(State::Listening);
            }
            Some("next") => {
                if let Some(errors) = message["payload"]["errors"]
                    .as_array()
                    .filter(|e| !e.is_empty())
                {
                    let reason = errors[0]["message"].as_str().unwrap_or("refused");
                    state(State::Ended(reason.to_string()));
                } else if let Some(Ok(event)) = AuditLive::FIELD.map(|field| {
                    serde_json::from_value::<<AuditLive as Operation>::Data>(
                        message["payload"]["data"][field].clone(),
                    )
                }) {
                    on_event(event);
                }
            }
            Some("error") => {
                let reason = message["payload"][0]["message"]
                    .as_str()
                    .unwrap_or("refused");
                state(State::Ended(reason.to_string()));
            }
            Some("complete") => state(State::Ended("the server ended the feed".into())),
            Some("ping") => send(&reply, &json!({ "type": "pong" })),
            _ => {}
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        let reason = e.reason();
        on_state(State::Ended(if reason.is_empty() {
            "connection closed".into()
        } else {
            reason
        }));
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Ok(Feed {
        socket,
        _on_message: on_message,
        _on_open: on_open,
        _on_close: on_close,
    })
}
