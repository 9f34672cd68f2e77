//! A graphql-ws client (`graphql-transport-ws` subprotocol) for the
//! subscriptions at `/graphql/ws`.
#![expect(clippy::expect_used, reason = "a test harness fails loudly")]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open, acknowledged graphql-ws connection.
pub struct Live {
    socket: Socket,
}

impl Live {
    /// Opens `/graphql/ws` on `base` (`http://…`) with extra headers on the
    /// upgrade request and `init` as the `connection_init` payload. `Err`
    /// carries the HTTP status of a refused upgrade, or 0 when the server
    /// closed the connection instead of acknowledging it.
    pub async fn connect(base: &str, headers: &[(&str, &str)], init: Value) -> Result<Self, u16> {
        let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        let (socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(ok) => ok,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(response.status().as_u16());
            }
            Err(e) => panic!("websocket: {e}"),
        };
        let mut live = Self { socket };
        live.send(json!({ "type": "connection_init", "payload": init }))
            .await;
        match live.message(Duration::from_secs(5)).await {
            Some(m) if m["type"] == "connection_ack" => Ok(live),
            _ => Err(0),
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next protocol message other than a ping, or `None` when the
    /// connection closed or nothing came within `wait`.
    pub async fn message(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match next.ok()? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("json");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Waits (at most `wait`) for the server to close the socket: the close
    /// frame's code and reason, or `None` when the connection ended
    /// without one or nothing came.
    pub async fn closed(&mut self, wait: Duration) -> Option<(u16, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match next.ok()? {
                Message::Close(Some(frame)) => {
                    return Some((frame.code.into(), frame.reason.to_string()));
                }
                Message::Close(None) => return Some((1005, String::new())),
                Message::Text(text) if text.contains("\"ping\"") => {
                    self.send(json!({ "type": "pong" })).await;
                }
                _ => {}
            }
        }
    }

    /// The payloads of the `next` messages that arrive within `wait`, up to
    /// and including the first that `done` accepts; panics if none does.
    pub async fn until(&mut self, wait: Duration, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(message) = self.message(left).await else {
                panic!("no matching message within {wait:?}; saw {seen:#?}");
            };
            let finished = done(&message);
            seen.push(message);
            if finished {
                return seen;
            }
        }
    }
}
