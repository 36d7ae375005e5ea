//! Sign-in sessions (in the database, so any server can serve any request) and CSRF checks.
//!
//! The session cookie holds a random secret; the database keeps only its SHA-256. Each
//! session has its own CSRF token, which every state-changing request must carry (form
//! field `csrf` or header `X-CSRF-Token`). Before sign-in, a short-lived `hicp_csrf` cookie
//! plays that part (double submit), so the login and setup forms are protected too.

use crate::AppState;
use crate::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Principal, Session, User, Visit, random_token};

pub const SESSION_COOKIE: &str = "hicp_session";
pub const PRE_CSRF_COOKIE: &str = "hicp_csrf";
/// Form bodies larger than this are not searched for a CSRF field.
const MAX_FORM_BYTES: usize = 256 * 1024;
/// Room for a multipart form's other fields beside its file (as `lib.rs` allows uploads).
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The signed-in user of a request: the session as read, with the organization the
/// request's path names (see [`crate::view::org_ctx`]).
#[derive(Clone)]
pub struct Auth {
    pub visit: Visit,
}

impl Auth {
    pub fn principal(&self) -> &Principal {
        &self.visit.principal
    }

    pub fn user(&self) -> &User {
        self.visit.principal.user()
    }

    pub fn session(&self) -> &Session {
        &self.visit.session
    }

    /// The session's CSRF token as a page shows it: masked afresh (see [`masked`]).
    pub fn csrf(&self) -> String {
        masked(&self.visit.session.csrf_token)
    }
}

/// A token as a page shows it: a fresh random pad and the token XOR the pad, in hex. Every
/// page then carries different bytes for the same token, so gzip-compressed sizes cannot be
/// used to guess it (the BREACH attack). [`token_matches`] takes it back.
///
/// Tokens are hex (`random_token`): the pad covers the bytes they stand for, so the masked
/// form is twice the token's length, not four times (a questionnaire page carries one per
/// form, some sixty).
pub fn masked(token: &str) -> String {
    let raw = hex::decode(token).unwrap_or_else(|_| token.as_bytes().to_vec());
    let Ok(pad) = hicp_app::random_bytes(raw.len()) else {
        // No randomness at all: the token as it is still works, unmasked.
        tracing::warn!("no random pad for a CSRF token; shown unmasked");
        return token.to_owned();
    };
    let xored: Vec<u8> = raw.iter().zip(&pad).map(|(t, p)| t ^ p).collect();
    format!("{}{}", hex::encode(&pad), hex::encode(xored))
}

/// Whether `given` (masked by [`masked`], or as it is) is the token `expected`, in constant
/// time. The longer mask of earlier versions (over the token's characters) is still taken,
/// for pages another server of an older version has shown.
pub fn token_matches(given: &str, expected: &str) -> bool {
    let unmask = |bytes: &[u8]| -> Vec<u8> {
        let (pad, xored) = bytes.split_at(bytes.len() / 2);
        xored.iter().zip(pad).map(|(x, p)| x ^ p).collect()
    };
    if let Ok(bytes) = hex::decode(given) {
        if given.len() == 4 * expected.len() {
            return same_token_bytes(&unmask(&bytes), expected.as_bytes());
        }
        if given.len() == 2 * expected.len()
            && let Ok(want) = hex::decode(expected)
        {
            return same_token_bytes(&unmask(&bytes), &want);
        }
    }
    same_token(given, expected)
}

/// The value of the request's cookie `name` (RFC 6265 syntax, by the `cookie` crate).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when the site is served over TLS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(state.config.secure_cookies);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age));
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie values are url-safe tokens")
}

/// Looks up the session of a request, if it has a live one, and in the same query the
/// user's place in organization `org` (the one the request's path names, if any).
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
    org: Option<&str>,
) -> Result<Option<Auth>, AppError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .app
        .visit(secret, org)
        .await?
        .map(|visit| Auth { visit }))
}

/// The organization a request's path names (`/orgs/{org}/...`, `/api/v1/orgs/{org}/...`).
fn org_of_path(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/orgs/")
        .or_else(|| path.strip_prefix("/api/v1/orgs/"))?;
    let org = rest.split('/').next()?;
    (!org.is_empty()).then_some(org)
}

/// The `Set-Cookie` value of a new session's secret. The cookie lives as long as the
/// session's absolute lifetime, so it never needs refreshing: the idle timeout is the
/// database's, which slides with every request.
pub fn session_cookie(state: &AppState, secret: &str) -> HeaderValue {
    set_cookie(
        state,
        SESSION_COOKIE,
        secret,
        Some(state.app.settings().session_lifetime_hours * 3600),
    )
}

/// The address a request came from: the peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not itself a trusted proxy.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(client_addr(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

fn client_addr(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let mut addr = peer?;
    if !trusted.contains(&addr) {
        return Some(addr);
    }
    // Read right to left: each hop was added by the one after it; stop at the first
    // address a trusted proxy did not vouch for.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                addr = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(addr)
}

/// Constant-time equality for tokens (their lengths are no secret).
pub fn same_token(a: &str, b: &str) -> bool {
    same_token_bytes(a.as_bytes(), b.as_bytes())
}

fn same_token_bytes(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// Signed-in users only: others are sent to the login page.
impl FromRequestParts<AppState> for Auth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        match current(state, &parts.headers, org_of_path(parts.uri.path())).await {
            // A session opened through an identity provider used no password here.
            Ok(Some(auth))
                if auth.user().must_change_password
                    && auth.session().sso_provider.is_none()
                    && !may_skip_change(parts) =>
            {
                Err(Redirect::to("/account").into_response())
            }
            Ok(Some(auth)) => Ok(auth),
            Ok(None) => {
                if parts.headers.contains_key("hx-request") {
                    // htmx: the page stays, keeps what was entered and offers to sign in
                    // again (see `assets/app.js`).
                    Err(AppError::SignedOut.into_response())
                } else {
                    Err(Redirect::to("/login").into_response())
                }
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Pages a user whose password was reset may reach before choosing a new one.
fn may_skip_change(parts: &Parts) -> bool {
    matches!(
        parts.uri.path(),
        "/account" | "/account/password" | "/logout"
    )
}

/// The CSRF token for a page shown before sign-in (masked, see [`masked`]): the existing
/// pre-session cookie's, or a new one, whose cookie value is the second part.
pub fn pre_session_token(headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, PRE_CSRF_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => (masked(t), None),
        _ => {
            let t = random_token().unwrap_or_default();
            (masked(&t), Some(t))
        }
    }
}

/// Middleware: every POST, PUT, PATCH and DELETE must come from our own pages and carry the
/// right token. Signed-in requests get their [`Auth`] attached on the way.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method {
        return next.run(req).await;
    }
    if cross_site(req.headers()) {
        return refuse("This request came from another site and was refused.");
    }
    let auth = match current(&state, req.headers(), org_of_path(req.uri().path())).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    // A page that sends a change after its session ended (the session's cookie is still
    // there but the session is gone, or an htmx request without one) hears "signed out".
    let ended = auth.is_none()
        && (cookie(req.headers(), SESSION_COOKIE).is_some()
            || req.headers().contains_key("hx-request"));
    let expected = match &auth {
        Some(a) => Some(a.session().csrf_token.clone()),
        None => cookie(req.headers(), PRE_CSRF_COOKIE).map(str::to_owned),
    };
    let (mut req, given) = match token_of(&state, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let matches = match (&given, &expected) {
        (Some(g), Some(e)) => token_matches(g, e),
        _ => false,
    };
    if !matches {
        if ended {
            return AppError::SignedOut.into_response();
        }
        return refuse("Your form has expired. Go back, reload the page and try again.");
    }
    if let Some(a) = auth {
        req.extensions_mut().insert(a);
    }
    next.run(req).await
}

fn refuse(message: &'static str) -> Response {
    AppError::Csrf(message).into_response()
}

/// `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this host.
fn cross_site(h: &HeaderMap) -> bool {
    if h.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return true;
    }
    match (
        h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        h.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            origin_host != host
        }
        _ => false,
    }
}

/// The token from the `X-CSRF-Token` header, or from the `csrf` field of a URL-encoded or
/// multipart form (pages without JavaScript send files that way). The body is read, no
/// larger than its route accepts, and put back.
async fn token_of(state: &AppState, req: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(t) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let t = t.to_owned();
        return Ok((req, Some(t)));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (limit, boundary) = if content_type.starts_with("application/x-www-form-urlencoded") {
        (MAX_FORM_BYTES, None)
    } else if content_type.starts_with("multipart/form-data") {
        match multipart_boundary(content_type) {
            // The most an upload route accepts (`lib.rs`: the upload limit plus the form).
            Some(b) => (state.max_upload_bytes() + MULTIPART_OVERHEAD, Some(b)),
            None => return Ok((req, None)),
        }
    } else {
        return Ok((req, None));
    };
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        let message = match boundary {
            None => "The form is too large.".to_owned(),
            Some(_) => format!("The file is larger than {} MB.", state.max_upload_mb()),
        };
        AppError::BadRequest(message).into_response()
    })?;
    let token = match &boundary {
        None => form_field(&bytes, "csrf"),
        Some(b) => multipart_field(&bytes, b, "csrf"),
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// The `boundary` parameter of a `multipart/form-data` content type (RFC 2046: 1 to 70
/// characters, maybe quoted).
fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| (1..=70).contains(&b.len()))
}

/// The value of the text field `name` of a `multipart/form-data` body (RFC 7578), if it has
/// one. The pages put the `csrf` field first, so this usually stops at the first part.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("\r\n--{boundary}");
    let wanted = format!("name=\"{name}\"");
    // The first delimiter may open the body, without the CRLF before it.
    let first = format!("--{boundary}");
    let mut rest = body
        .strip_prefix(first.as_bytes())
        .or_else(|| find(body, delimiter.as_bytes()).map(|i| &body[i + delimiter.len()..]))?;
    loop {
        // After a delimiter: "--" closes the body; otherwise a part follows its CRLF.
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, delimiter.as_bytes())?;
        let (part, next) = (&rest[..end], &rest[end + delimiter.len()..]);
        let split = find(part, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&part[..split]).ok()?;
        let is_wanted = headers.split("\r\n").any(|h| {
            h.split_once(':').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("content-disposition")
                    && v.split(';').any(|p| p.trim() == wanted)
            })
        });
        if is_wanted {
            return std::str::from_utf8(&part[split + 4..])
                .ok()
                .map(str::to_owned);
        }
        rest = next;
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The field `name` of a URL-encoded form, decoded.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_is_twice_as_long_differs_each_time_and_matches() {
        let token = hicp_app::random_token().unwrap();
        let (a, b) = (masked(&token), masked(&token));
        assert_eq!(a.len(), 2 * token.len());
        assert_ne!(a, b);
        assert!(token_matches(&a, &token) && token_matches(&b, &token));
        assert!(token_matches(&token, &token), "unmasked still works");
        let other = hicp_app::random_token().unwrap();
        assert!(!token_matches(&a, &other));
        // Flipping one bit of the masked form breaks it.
        let mut bent = hex::decode(&a).unwrap();
        bent[40] ^= 1;
        assert!(!token_matches(&hex::encode(bent), &token));
        // The mask of earlier versions, over the token's characters, is still taken.
        let pad = hicp_app::random_bytes(token.len()).unwrap();
        let old: Vec<u8> = token.bytes().zip(&pad).map(|(t, p)| t ^ p).collect();
        let old = format!("{}{}", hex::encode(&pad), hex::encode(old));
        assert_eq!(old.len(), 4 * token.len());
        assert!(token_matches(&old, &token));
        assert!(!token_matches(&old, &other));
    }

    #[test]
    fn cookies_and_form_fields_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hicp_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(
            form_field(b"x=1&csrf=tok&y=2", "csrf").as_deref(),
            Some("tok")
        );
    }

    #[test]
    fn multipart_fields_are_found() {
        let ct = "multipart/form-data; boundary=\"----XyZ\"";
        let b = multipart_boundary(ct).unwrap();
        assert_eq!(b, "----XyZ");
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        let body = b"------XyZ\r\n\
Content-Disposition: form-data; name=\"csrf\"\r\n\r\n\
tok123\r\n\
------XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n\
%PDF name=\"csrf\"\r\n\r\nnot this\r\n\
------XyZ\r\n\
Content-Disposition: form-data; name=\"title\"\r\n\r\n\
Signed BAA\r\n\
------XyZ--\r\n";
        assert_eq!(multipart_field(body, &b, "csrf").as_deref(), Some("tok123"));
        // Found after a file part too, never inside the file.
        assert_eq!(
            multipart_field(body, &b, "title").as_deref(),
            Some("Signed BAA")
        );
        assert_eq!(multipart_field(body, &b, "url"), None);
        assert_eq!(multipart_field(b"garbage", &b, "csrf"), None);
        assert_eq!(multipart_field(b"------XyZ\r\nno end", &b, "csrf"), None);
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.3"),
        );
        let peer = Some("10.0.0.2".parse().unwrap());
        // Untrusted peer: the header is ignored.
        assert_eq!(client_addr(peer, &h, &[]), peer);
        // Trusted chain: the first hop from the right that no trusted proxy added.
        let trusted = [proxy, "10.0.0.3".parse().unwrap()];
        assert_eq!(
            client_addr(peer, &h, &trusted),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(client_addr(None, &h, &trusted), None);
    }

    #[test]
    fn other_origins_are_cross_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!cross_site(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_site(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
    }
}
