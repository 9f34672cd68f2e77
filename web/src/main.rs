//! Roster's admin app (SPEC §12): a Leptos CSR app served by `roster serve`
//! under `/admin`, talking to `/graphql` with the session cookie.

mod api;
mod components;
mod model;
mod pages;
mod table;

use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;
use wasm_bindgen::JsCast;

use api::ApiError;
use components::{Loading, Modal};
use model::{ServerInfo, Viewer};

/// What every screen knows: the server, who is signed in, and whether to
/// greet them.
#[derive(Clone, Copy)]
pub struct AppState {
    pub info: RwSignal<Option<ServerInfo>>,
    pub viewer: RwSignal<Option<Viewer>>,
    pub booted: RwSignal<bool>,
    pub boot_error: RwSignal<Option<ApiError>>,
    pub welcome: RwSignal<bool>,
}

impl AppState {
    pub fn can(&self, permission: &str) -> bool {
        self.viewer
            .with(|v| v.as_ref().is_some_and(|v| v.can(permission)))
    }

    /// Where a signed-in user starts.
    pub fn home(&self) -> &'static str {
        if self.can("users:read") {
            "/admin/users"
        } else {
            "/admin/tokens"
        }
    }
}

pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// Reads the signed-in user again (after they changed their own account).
pub fn refresh_viewer() {
    let state = state();
    leptos::task::spawn_local(async move {
        if let Ok(boot) = api::send(api::ops::Boot {}).await {
            state.viewer.set(boot.viewer);
        }
    });
}

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let state = AppState {
        info: RwSignal::new(None),
        viewer: RwSignal::new(None),
        booted: RwSignal::new(false),
        boot_error: RwSignal::new(None),
        welcome: RwSignal::new(false),
    };
    provide_context(state);
    leptos::task::spawn_local(async move {
        match api::send(api::ops::Boot {}).await {
            Ok(boot) => {
                state.info.set(Some(boot.server_info));
                // A login that answered first knows better.
                if state.viewer.with_untracked(Option::is_none) {
                    state.viewer.set(boot.viewer);
                }
            }
            Err(e) => state.boot_error.set(Some(e)),
        }
        state.booted.set(true);
    });
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/admin/login") view=pages::login::LoginPage/>
                <Route path=path!("/admin/accept-invitation") view=pages::invitation::AcceptInvitation/>
                <Route path=path!("/admin/forgot-password") view=pages::reset::ForgotPassword/>
                <Route path=path!("/admin/reset-password") view=pages::reset::ResetPassword/>
                <Route path=path!("/admin") view=|| view! { <Shell><Home/></Shell> }/>
                // One route, so opening and closing the drawer keeps the list.
                <Route path=path!("/admin/users/:id?") view=|| view! { <Shell><pages::users::UsersPage/></Shell> }/>
                <Route path=path!("/admin/organizations/:id?") view=|| view! { <Shell><pages::organizations::OrganizationsPage/></Shell> }/>
                <Route path=path!("/admin/account") view=|| view! { <Shell><pages::account::AccountPage/></Shell> }/>
                <Route path=path!("/admin/activity") view=|| view! { <Shell><pages::activity::ActivityPage/></Shell> }/>
                <Route path=path!("/admin/roles") view=|| view! { <Shell><pages::roles::RolesPage/></Shell> }/>
                <Route path=path!("/admin/tokens") view=|| view! { <Shell><pages::tokens::TokensPage/></Shell> }/>
                <Route path=path!("/admin/sessions") view=|| view! { <Shell><pages::sessions::SessionsPage/></Shell> }/>
                <Route path=path!("/admin/database") view=|| view! { <Shell><pages::database::DatabasePage/></Shell> }/>
            </Routes>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    let home = state().home();
    view! { <Redirect path=home/> }
}

/// `USER_MGMT_UI=0`: signed in, but this server shows no admin screens.
#[component]
fn ScreensOff() -> impl IntoView {
    view! {
        <div class="centered">
            <div class="empty" id="screens-off">
                <p class="empty-title">"You are signed in"</p>
                <p class="empty-subtitle text-muted">
                    "The admin screens are turned off on this server (USER_MGMT_UI). The API stays available."
                </p>
            </div>
        </div>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <div class="centered">
            <div class="empty">
                <p class="empty-title">"Page not found"</p>
                <p class="empty-subtitle text-muted">"There is nothing at this address."</p>
                <a class="btn btn-primary" href="/admin">"Go to Roster"</a>
            </div>
        </div>
    }
}

/// Waits for the boot query, then shows the signed-in frame around `children`
/// or sends an anonymous visitor to the login page.
#[component]
fn Shell(children: ChildrenFn) -> impl IntoView {
    let state = state();
    let children = StoredValue::new(children);
    move || {
        if !state.booted.get() {
            return view! { <div class="centered"><Loading what="Roster"/></div> }.into_any();
        }
        if let Some(error) = state.boot_error.get() {
            return view! {
                <div class="centered"><div class="alert alert-danger">{error.general(&[]).unwrap_or_default()}</div></div>
            }
            .into_any();
        }
        if state.viewer.with(Option::is_none) {
            let next = js_sys::encode_uri_component(&api::current_path());
            return view! { <Redirect path=format!("/admin/login?next={next}")/> }.into_any();
        }
        if state.info.with(|i| i.as_ref().is_some_and(|i| !i.flags.ui)) {
            return view! { <ScreensOff/> }.into_any();
        }
        view! { <Frame>{children.with_value(|c| c())}</Frame> }.into_any()
    }
}

/// The navigation bar, the page, the welcome modal and the keyboard shortcuts.
#[component]
fn Frame(children: Children) -> impl IntoView {
    let state = state();
    let navigate = use_navigate();
    let shortcuts = window_event_listener(leptos::ev::keydown, shortcut);
    on_cleanup(move || shortcuts.remove());
    let logout = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::send(api::ops::Logout {}).await {
                Ok(_) => {
                    state.viewer.set(None);
                    navigate("/admin/login", Default::default());
                }
                Err(e) => {
                    if let Some(w) = web_sys::window() {
                        let message = e.general(&[]).unwrap_or_default();
                        let _ = w.alert_with_message(&format!("Logging out failed: {message}"));
                    }
                }
            }
        });
    };
    // The account menu: the display name when there is one.
    let name = move || {
        state.viewer.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.user
                        .display_name
                        .clone()
                        .filter(|d| !d.trim().is_empty())
                        .unwrap_or_else(|| v.user.username.clone())
                })
                .unwrap_or_default()
        })
    };
    view! {
        <header class="navbar">
            <a class="brand" href="/admin">"Roster"</a>
            <nav>
                <Show when=move || state.can("users:read")>
                    <A href="/admin/users">"Users"</A>
                </Show>
                <Show when=move || state.can("orgs:read")>
                    <A href="/admin/organizations">"Organizations"</A>
                </Show>
                <Show when=move || state.can("users:read") || state.can("roles:manage")>
                    <A href="/admin/roles">"Roles"</A>
                </Show>
                <Show when=move || state.can("audit:read")>
                    <A href="/admin/activity">"Activity"</A>
                </Show>
                <A href="/admin/tokens">"My tokens"</A>
                <A href="/admin/sessions">"My sessions"</A>
                // Seed 002: the database page is for Postgres only.
                <Show when=move || state.can("system:manage") && state.info.with(|i| i.as_ref().is_some_and(|i| i.database_backend == "POSTGRES"))>
                    <A href="/admin/database">"Database"</A>
                </Show>
            </nav>
            <div class="navbar-user">
                <A href="/admin/account" attr:id="signed-in-as" attr:title="My account">{name}</A>
                <button type="button" class="btn btn-sm" id="logout" on:click=logout>"Log out"</button>
            </div>
        </header>
        <main class="page">{children()}</main>
        <Show when=move || state.welcome.get()>
            <Welcome/>
        </Show>
    }
}

/// Seed 004's welcome screen, after a user's first login.
#[component]
fn Welcome() -> impl IntoView {
    let state = state();
    let close = move || state.welcome.set(false);
    let (name, role) = state.viewer.with_untracked(|v| {
        v.as_ref()
            .map(|v| {
                (
                    v.user.username.clone(),
                    v.user.roles.first().cloned().unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    });
    let admin = state.can("users:manage");
    view! {
        <Modal title="Welcome to Roster!".to_string() on_close=move |_| close() id="welcome-modal" wide=true>
            <div class="modal-body">
                <p>"You're logged in as " <strong>{name}</strong> " with " <strong>{role}</strong> " access."</p>
                <h6>"Quick start:"</h6>
                <ul>
                    {admin.then(|| view! { <li><strong>"Users:"</strong> " invite people, change roles, deactivate or delete accounts"</li> })}
                    <li><strong>"My tokens:"</strong> " create personal access tokens for scripts"</li>
                    <li><strong>"My sessions:"</strong> " see where you are signed in and sign out elsewhere"</li>
                </ul>
                <h6>"Keyboard shortcuts:"</h6>
                <ul>
                    <li><kbd>"Ctrl+K"</kbd> " - Quick search"</li>
                    <li><kbd>"Ctrl+N"</kbd> " - Create new (context-aware)"</li>
                    <li><kbd>"Ctrl+S"</kbd> " - Save current form"</li>
                    <li><kbd>"Shift+R"</kbd> " - Resend invitation (open pending user)"</li>
                </ul>
            </div>
            <div class="modal-footer">
                <button type="button" class="btn btn-primary" id="get-started" on:click=move |_| close()>"Get Started"</button>
            </div>
        </Modal>
    }
}

/// Seed 004's shortcuts, acting on whatever the current screen marks:
/// Ctrl+K focuses `[data-shortcut=search]`, Ctrl+N clicks
/// `[data-shortcut=create]`, Ctrl+S submits the last `form[data-save]`,
/// Shift+R (outside text fields) clicks `[data-shortcut=resend]`, Ctrl+E
/// clicks `[data-shortcut=export]` (the activity log's CSV).
fn shortcut(e: web_sys::KeyboardEvent) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if e.alt_key() || e.repeat() {
        return;
    }
    // With a dialog open, only what is in the topmost one counts.
    let dialogs = document.query_selector_all(".modal").ok();
    let top = dialogs
        .as_ref()
        .and_then(|d| d.item(d.length().checked_sub(1)?))
        .and_then(|n| n.dyn_into::<web_sys::Element>().ok());
    let find = |selector: &str| -> Option<web_sys::HtmlElement> {
        let list = match &top {
            Some(dialog) => dialog.query_selector_all(selector).ok()?,
            None => document.query_selector_all(selector).ok()?,
        };
        list.item(list.length().checked_sub(1)?)?.dyn_into().ok()
    };
    let ctrl = e.ctrl_key() || e.meta_key();
    let key = e.key().to_lowercase();
    let typing = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    match (ctrl, e.shift_key(), key.as_str()) {
        (true, _, "k") => {
            if let Some(el) = find("[data-shortcut=search]") {
                e.prevent_default();
                let _ = el.focus();
            }
        }
        (true, _, "n") => {
            if let Some(el) = find("[data-shortcut=create]") {
                e.prevent_default();
                el.click();
            }
        }
        (true, _, "e") => {
            if let Some(el) = find("[data-shortcut=export]") {
                e.prevent_default();
                el.click();
            }
        }
        (true, _, "s") => {
            e.prevent_default();
            if let Some(form) =
                find("form[data-save]").and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
            {
                let _ = form.request_submit();
            }
        }
        (false, true, "r") if !typing => {
            if let Some(el) = find("[data-shortcut=resend]") {
                e.prevent_default();
                el.click();
            }
        }
        _ => {}
    }
}
