//! This process's credential generation: bumped by every committed change
//! that may end or narrow a session or token, so every credential cache of
//! the process drops what it remembered (`credentials`). A leaf, so the audit
//! commit can bump it without knowing the cache.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped by every committed change in this process that may affect a
/// credential. Process-wide, so that services need no handle to the cache.
static LOCAL: AtomicU64 = AtomicU64::new(0);

/// Invalidates every credential cache of this process.
pub fn invalidate_local() {
    LOCAL.fetch_add(1, Ordering::SeqCst);
}

/// Changes with every [`invalidate_local`].
pub fn local_generation() -> u64 {
    LOCAL.load(Ordering::SeqCst)
}
