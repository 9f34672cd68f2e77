//! `GET /graphql/ws`: subscriptions over a WebSocket (the `graphql-ws`
//! protocol, and the older `subscriptions-transport-ws`); nothing else
//! (`graphql::socket_schema`), and no message over the body limit of
//! `POST /graphql`. The caller is
//! found by the shared extractor on the upgrade request (a bearer token, or
//! the session cookie from a page of this site), or by a bearer token in
//! the `connection_init` payload (`{"Authorization": "Bearer …"}`), which is
//! what a browser script can send; the subscription checks that credential
//! again while it runs. When the server stops, the socket is closed with
//! `1001 going away` (`http/lifecycle.rs`).

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use super::HttpState;
use super::auth::{Caller, authenticate};
use crate::graphql::context::{LiveCredential, gql};
use crate::service::auth::Presented;

/// The bearer token of a `connection_init` payload, if it carries one
/// (`Authorization` or `authorization`).
fn bearer_in(payload: &serde_json::Value) -> Option<String> {
    ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_string())
}

pub async fn get(
    State(state): State<HttpState>,
    caller: Caller,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = caller.require_same_origin_socket() {
        return refused.into_response();
    }
    let schema = state.socket_schema.clone();
    let app = state.app.clone();
    let life = state.lifecycle.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(super::MAX_BODY_BYTES)
        .on_upgrade(move |socket| async move {
            let _open = life.hold();
            let (mut sink, stream) = socket.split();
            // The client's messages end when the server stops, which ends
            // the subscriptions; the close frame follows.
            let stop = life.clone();
            let input = stream.take_until(async move { stop.stopping().await });
            GraphQLWebSocket::new_with_pair(&mut sink, input, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let client = caller.state.client.clone();
                    let (request_state, presented) = match bearer_in(&payload) {
                        Some(secret) => {
                            let presented = Presented::Token(secret);
                            let (found, _) = authenticate(&app, Some(&presented), client.clone())
                                .await
                                .map_err(gql)?;
                            (found, Some(presented))
                        }
                        None => (caller.state, caller.presented),
                    };
                    let mut data = Data::default();
                    data.insert(request_state);
                    data.insert(LiveCredential { presented, client });
                    Ok(data)
                })
                .serve()
                .await;
            if life.is_stopping() {
                let close = Message::Close(Some(CloseFrame {
                    code: 1001,
                    reason: "The server is shutting down".into(),
                }));
                let _ = sink.send(close).await;
                let _ = sink.close().await;
            }
        })
}
