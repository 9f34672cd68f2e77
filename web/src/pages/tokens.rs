//! `/admin/tokens`: personal access tokens for scripts.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{Confirm, ErrorAlert, FieldErrors, Loading, Modal, begin_submit};
use crate::model::{Token, short_time};

const EXPIRY: &[(&str, Option<i64>)] = &[
    ("30 days", Some(30)),
    ("90 days", Some(90)),
    ("1 year", Some(365)),
    ("Never", None),
];

fn days_from_now(days: i64) -> String {
    let ms = js_sys::Date::now() + (days as f64) * 86_400_000.0;
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let state = crate::state();
    let tokens = LocalResource::new(|| api::send(api::ops::MyTokens {}));
    let error = RwSignal::new(None::<ApiError>);
    let creating = RwSignal::new(false);
    let secret = RwSignal::new(None::<(String, String)>);
    let revoking = RwSignal::new(None::<Token>);
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let load = move || tokens.refetch();
    let revoke = move |_| {
        let Some(token) = revoking.get_untracked() else {
            return;
        };
        busy.set(true);
        notice.set(None);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::run(api::ops::RevokeToken { id: token.id }).await {
                Ok(_) => {
                    notice.set(Some(format!("Token {} revoked.", token.name)));
                    load();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
            revoking.set(None);
        });
    };
    let permissions = move || {
        state.viewer.with(|v| {
            v.as_ref()
                .map(|v| v.permissions.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <div class="page-header">
            <h1>"My tokens"</h1>
            <button type="button" class="btn btn-primary" id="create-token" data-shortcut="create" on:click=move |_| creating.set(true)>
                "Create Token" <kbd>"Ctrl+N"</kbd>
            </button>
        </div>
        <p class="text-muted">"Personal access tokens let scripts call the API as you: send "
            <code>"Authorization: Bearer <token>"</code>". A token can do only what its scopes allow, and never more than you."</p>
        <ErrorAlert error=error/>
        {move || notice.get().map(|text| view! {
            <div class="alert alert-success" id="tokens-notice" role="status">{text}
                <button type="button" class="btn-close" aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
            </div>
        })}
        {move || secret.get().map(|(name, value)| view! { <SecretOnce name value on_done=move |_| secret.set(None)/> })}
        <div class="card">
            {move || match tokens.get() {
                None => view! { <Loading what="tokens"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="empty"><p class="empty-title">"No tokens yet"</p>
                    <p class="empty-subtitle text-muted">"Create one for each script, so you can revoke them one by one."</p></div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table" id="tokens-table">
                        <thead><tr><th>"Name"</th><th>"Scopes"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|t| {
                                let target = t.clone();
                                view! {
                                    <tr>
                                        <td>{t.name.clone()}</td>
                                        <td>{t.scopes.iter().map(|s| view! { <code class="scope">{s.clone()}</code>" " }).collect_view()}</td>
                                        <td>{short_time(&t.created_at)}</td>
                                        <td>{t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "Never".into())}</td>
                                        <td>{t.expires_at.as_deref().map(short_time).unwrap_or_else(|| "Never".into())}</td>
                                        <td class="text-end"><button type="button" class="btn btn-sm btn-ghost-danger"
                                            on:click=move |_| revoking.set(Some(target.clone()))>"Revoke"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </div>
        <Show when=move || creating.get()>
            <CreateToken permissions=permissions() on_close=move |_| creating.set(false)
                on_created=move |(name, value)| { creating.set(false); secret.set(Some((name, value))); load(); }/>
        </Show>
        {move || revoking.get().map(|t| view! {
            <Confirm id="revoke-token" title="Revoke Token?".into()
                body=view! { <strong>{t.name.clone()}</strong>" will stop working at once. Scripts using it will be refused." }.into_any()
                action="Revoke" button_class="btn btn-danger" busy=busy
                on_confirm=revoke on_cancel=move |_| revoking.set(None)/>
        })}
    }
}

/// The new token's secret, shown this once, with a copy button.
#[component]
fn SecretOnce(name: String, value: String, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let to_copy = value.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let promise = window.navigator().clipboard().write_text(&to_copy);
            leptos::task::spawn_local(async move {
                copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
            });
        }
    };
    view! {
        <div class="alert alert-success" id="token-secret" role="status">
            <p><strong>{format!("Token “{name}” created.")}</strong>" Copy it now: you will not see it again."</p>
            <div class="secret-row">
                <input class="form-control mono" id="token-secret-value" aria-label="The new token" readonly value=value on:focus=|e| {
                    use wasm_bindgen::JsCast;
                    if let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { input.select(); }
                }/>
                <button type="button" class="btn btn-primary" id="copy-secret" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
                <button type="button" class="btn" on:click=move |_| { let _ = on_done.try_run(()); }>"Done"</button>
            </div>
        </div>
    }
}

#[component]
fn CreateToken(
    permissions: Vec<String>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_created: Callback<(String, String)>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<String>::new());
    let expiry = RwSignal::new(0usize);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        if !begin_submit(&e, busy, error) {
            return;
        }
        let expires_at = EXPIRY
            .get(expiry.get_untracked())
            .and_then(|(_, d)| *d)
            .map(days_from_now);
        let token_name = name.get_untracked();
        let op = api::ops::CreateToken {
            name: token_name.clone(),
            scopes: scopes.get_untracked(),
            expires_at,
        };
        leptos::task::spawn_local(async move {
            match api::send(op).await {
                Ok(created) => {
                    let secret = created.secret;
                    let _ = on_created.try_run((token_name, secret));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Modal title="Create Token".to_string() on_close=on_close id="create-token-modal">
            <form id="create-token-form" data-save="" on:submit=submit>
                <div class="modal-body">
                    <ErrorAlert error=error fields=&["name", "scopes"]/>
                    <div class="mb-3">
                        <label class="form-label required" for="token-name">"Name"</label>
                        <input class="form-control" id="token-name" required autofocus placeholder="deploy script"
                            prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                        <FieldErrors error=error field="name"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label required">"Scopes"</label>
                        <div class="checks" id="token-scopes">
                            {permissions.into_iter().map(|p| {
                                let value = p.clone();
                                let checked = p.clone();
                                view! {
                                    <label class="check">
                                        <input type="checkbox" value=p.clone()
                                            prop:checked=move || scopes.with(|s| s.contains(&checked))
                                            on:change=move |_| scopes.update(|s| {
                                                if let Some(i) = s.iter().position(|x| *x == value) { s.remove(i); } else { s.push(value.clone()); }
                                            })/>
                                        " " <code>{p}</code>
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                        <FieldErrors error=error field="scopes"/>
                    </div>
                    <div class="mb-3">
                        <label class="form-label" for="token-expiry">"Expires"</label>
                        <select class="form-select" id="token-expiry" on:change=move |e| expiry.set(event_target_value(&e).parse().unwrap_or(0))>
                            {EXPIRY.iter().enumerate().map(|(i, (label, _))| view! { <option value=i.to_string()>{*label}</option> }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="modal-footer">
                    <button type="button" class="btn" on:click=move |_| { let _ = on_close.try_run(()); }>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Create Token"</button>
                </div>
            </form>
        </Modal>
    }
}
