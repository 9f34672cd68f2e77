//! The identity provider's discovery document and signing keys, fetched
//! at the first OIDC login and kept for the process (`App.oidc`). A leaf:
//! it knows the provider's configuration, nothing of the rest of Roster.

use std::time::Duration;

use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;
use tokio::sync::OnceCell;

use crate::config::OidcProvider;
use crate::error::{DomainError, Result};

/// The discovery document, once fetched.
#[derive(Default)]
pub struct Discovery {
    metadata: OnceCell<CoreProviderMetadata>,
}

/// The HTTP client for the provider: no redirects (they would open the
/// client to SSRF), a 10-second timeout.
pub fn http() -> Result<openidconnect::reqwest::Client> {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("building the OIDC client: {e}")))
}

impl Discovery {
    /// The provider's metadata and keys, fetched on first use; a failed
    /// fetch is tried again at the next login.
    pub async fn metadata(&self, p: &OidcProvider) -> Result<&CoreProviderMetadata> {
        self.metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(p.issuer_url.clone())
                    .map_err(|e| DomainError::Internal(anyhow::anyhow!("OIDC_ISSUER_URL: {e}")))?;
                CoreProviderMetadata::discover_async(issuer, &http()?)
                    .await
                    .map_err(|e| {
                        DomainError::Internal(anyhow::anyhow!(
                            "OIDC discovery at {}: {e}",
                            p.issuer_url
                        ))
                    })
            })
            .await
    }
}
