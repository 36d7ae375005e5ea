//! Static assets (CSS, JS, vendored htmx), embedded in the binary.
//!
//! Pages link them by [`url`], which adds the content's hash (`?v=`): such a URL names one
//! version for good, so browsers keep it for a year and never ask again; a new binary with
//! a changed file links a new URL. A request without the right hash gets the file with an
//! `ETag` to revalidate.

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Embed)]
#[folder = "assets/"]
#[exclude = "*.md"]
struct Assets;

/// The first 16 hex digits of the SHA-256 of the asset at `path`.
fn hash_of(path: &str) -> Option<&'static str> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES
        .get_or_init(|| {
            Assets::iter()
                .filter_map(|p| {
                    let file = Assets::get(&p)?;
                    let hash = hex::encode(file.metadata.sha256_hash());
                    Some((p.into_owned(), hash[..16].to_owned()))
                })
                .collect()
        })
        .get(path)
        .map(String::as_str)
}

/// The URL of the asset at `path` (under `assets/`), fingerprinted with its content.
pub fn url(path: &str) -> String {
    match hash_of(path) {
        Some(h) => format!("/assets/{path}?v={h}"),
        None => format!("/assets/{path}"),
    }
}

pub async fn serve(
    Path(path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (Some(file), Some(hash)) = (Assets::get(&path), hash_of(&path)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{hash}\"");
    let cache = if q.get("v").map(String::as_str) == Some(hash) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if unchanged {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
        )
            .into_response();
    }
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    (
        [
            (header::CONTENT_TYPE, mime.as_ref().to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
            (header::ETAG, etag),
        ],
        file.data,
    )
        .into_response()
}
