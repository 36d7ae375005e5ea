//! OpenID Connect single sign-on for HICP Toolkit, as a relying party.
//!
//! The authorization code flow with PKCE (S256), a `state` and a `nonce` (OpenID Connect
//! Core 1.0 §3.1; RFC 7636), on top of the `openidconnect` crate, with `reqwest` (rustls)
//! as its HTTP client. The provider's metadata and keys come from its discovery document
//! and are kept for ten minutes. This crate keeps nothing else: the caller stores the
//! [`Start`] of a sign-in (the state, nonce and PKCE verifier) until the provider sends the
//! browser back, and decides what an [`Identity`] may do.

mod config;

pub use config::{ConfigError, ProviderConfig, RoleMapping, RoleRule, load, parse};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SubjectIdentifier, TokenResponse,
};
use std::time::{Duration, Instant};

/// How long discovered metadata and keys are trusted before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// Largest answer read from a provider (discovery documents and key sets are small).
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why a sign-in with a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider could not be reached, or answered with an error or nonsense.
    #[error("the identity provider did not answer as expected: {0}")]
    Provider(String),
    /// The provider's answer failed a check (signature, issuer, audience, nonce, expiry…).
    #[error("the identity provider's answer did not pass its checks: {0}")]
    Verification(String),
}

/// What the caller keeps until the provider sends the browser back.
#[derive(Debug, Clone)]
pub struct Start {
    /// Where to send the browser.
    pub url: String,
    /// The `state` parameter: ties the answer to this browser and this sign-in.
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    /// Lower-cased.
    pub email: Option<String>,
    /// The provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
    /// The names in the ID token's group claim (see [`RoleMapping`]); empty without one.
    pub groups: Vec<String>,
}

/// One configured identity provider. Cheap to share; safe to use from many tasks.
pub struct Provider {
    config: ProviderConfig,
    http: Http,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Provider").field(&self.config).finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

/// `reqwest` as the `openidconnect` crate's HTTP client (its futures are `Send`, so the
/// use cases can run on any runtime thread).
struct Http(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.0.clone(), request))
    }
}

async fn send(client: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let request = reqwest::Request::try_from(request).map_err(|e| HttpError(chain(&e)))?;
    let mut response = client
        .execute(request)
        .await
        .map_err(|e| HttpError(chain(&e)))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| HttpError(chain(&e)))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    let mut out = HttpResponse::new(body);
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    Ok(out)
}

impl Provider {
    pub fn new(config: ProviderConfig) -> Result<Provider, Error> {
        let http = reqwest::Client::builder()
            // Following redirects from a token endpoint would open the door to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| Error::Provider(format!("cannot make an HTTPS client: {e}")))?;
        Ok(Provider {
            config,
            http: Http(http),
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The provider's discovery document (with its keys), fetched at most every ten minutes.
    async fn metadata(&self) -> Result<CoreProviderMetadata, Error> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, m)) = cached.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| Error::Provider(format!("issuer: {e}")))?;
        let m = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Error::Provider(format!("discovery: {}", chain(&e))))?;
        *cached = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    /// Forgets the metadata, so that the next sign-in fetches it (and rotated keys) again.
    async fn forget_metadata(&self) {
        *self.metadata.lock().await = None;
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Error,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| Error::Provider(format!("redirect address: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Begins a sign-in: where to send the browser, and what to keep until it comes back
    /// to `redirect_uri`.
    pub async fn start(&self, redirect_uri: &str) -> Result<Start, Error> {
        let client = self.client(self.metadata().await?, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Ends a sign-in: exchanges the `code` the browser brought back for tokens, checks
    /// the ID token (signature, issuer, audience, expiry, `nonce`, access-token hash) and
    /// returns who signed in. The email comes from the ID token, or else from the
    /// provider's userinfo endpoint for the same subject.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, Error> {
        let result = self
            .exchange(redirect_uri, code, nonce, pkce_verifier)
            .await;
        if matches!(result, Err(Error::Verification(_))) {
            // Perhaps the provider rotated its keys: fetch them again next time.
            self.forget_metadata().await;
        }
        result
    }

    async fn exchange(
        &self,
        redirect_uri: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, Error> {
        let client = self.client(self.metadata().await?, redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Error::Provider(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| Error::Provider(format!("token request: {}", chain(&e))))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Error::Provider("the token answer has no ID token".into()))?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| Error::Verification(chain(&e)))?;
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| Error::Verification(chain(&e)))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| Error::Verification(chain(&e)))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| Error::Verification(chain(&e)))?;
            if actual != *expected {
                return Err(Error::Verification(
                    "the access token does not match the ID token".into(),
                ));
            }
        }
        let subject = claims.subject().clone();
        let mut identity = Identity {
            subject: subject.as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_lowercase()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            groups: match &self.config.roles {
                Some(r) => claim_names(&id_token.to_string(), &r.claim),
                None => Vec::new(),
            },
        };
        if identity.email.is_none() {
            self.add_user_info(&client, tokens.access_token(), subject, &mut identity)
                .await?;
        }
        Ok(identity)
    }

    /// Fills the email (and name) from the userinfo endpoint, which must describe the same
    /// subject as the ID token.
    async fn add_user_info(
        &self,
        client: &CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        token: &openidconnect::AccessToken,
        subject: SubjectIdentifier,
        identity: &mut Identity,
    ) -> Result<(), Error> {
        let Ok(request) = client.user_info(token.clone(), Some(subject)) else {
            // No userinfo endpoint: the identity stays without an email.
            return Ok(());
        };
        let info: CoreUserInfoClaims = request
            .request_async(&self.http)
            .await
            .map_err(|e| Error::Provider(format!("userinfo: {}", chain(&e))))?;
        identity.email = info.email().map(|e| e.as_str().to_lowercase());
        identity.email_verified = info.email_verified().unwrap_or(false);
        if identity.name.is_none() {
            identity.name = info
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned());
        }
        Ok(())
    }
}

/// The names listed in `claim` of a JWT whose signature was already checked (the typed
/// claims of the `openidconnect` crate hold only the standard ones).
fn claim_names(jwt: &str, claim: &str) -> Vec<String> {
    use base64::Engine;
    let payload = jwt
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok());
    match payload.as_ref().and_then(|p| p.get(claim)) {
        Some(serde_json::Value::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(name)) => vec![name.clone()],
        _ => Vec::new(),
    }
}

/// An error with its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::claim_names;

    #[test]
    fn group_claims_are_read_as_lists_or_single_names() {
        use base64::Engine;
        let jwt = |json: &str| {
            let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!("{}.{}.sig", b.encode("{}"), b.encode(json))
        };
        assert_eq!(
            claim_names(&jwt(r#"{"groups":["a","b",3]}"#), "groups"),
            ["a", "b"]
        );
        assert_eq!(claim_names(&jwt(r#"{"roles":"x"}"#), "roles"), ["x"]);
        assert!(claim_names(&jwt(r#"{"groups":{}}"#), "groups").is_empty());
        assert!(claim_names("not a jwt", "groups").is_empty());
    }
}
