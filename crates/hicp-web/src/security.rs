//! Response headers every page gets: a strict Content-Security-Policy and friends.

use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// No inline script or style, nothing from other origins, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn layers() -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let h = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    vec![
        h(header::CONTENT_SECURITY_POLICY, CSP),
        h(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        h(header::REFERRER_POLICY, "same-origin"),
        h(header::X_FRAME_OPTIONS, "DENY"),
        h(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        // Pages hold an organization's weaknesses: keep them out of shared caches and history.
        h(header::CACHE_CONTROL, "no-store"),
    ]
}
