//! Where a request's API key is read from, and the guard of the page's own API. The other
//! protocols read their keys their own ways ([`super::protocols`]) and answer a refusal in
//! their own shapes.

use super::{ApiError, AppState};
use app::api::KEY_COOKIE;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The key in the headers: `Authorization: Bearer KEY` (OpenAI's clients, the page),
/// `Authorization: DeepL-Auth-Key KEY` (DeepL's), or the page's cookie.
pub fn from_headers(headers: &HeaderMap) -> Option<&str> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("deepl-auth-key"))
                .then_some(key.trim())
        });
    authorization.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == KEY_COOKIE).then_some(value.trim())
            })
    })
}

/// Lets a request of the page's API through with its caller ([`crate::service::keys::Caller`]), or
/// refuses it.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match state.keys.caller(from_headers(request.headers())) {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => ApiError::Key(refusal).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_key_is_read_from_either_authorization_or_the_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(from_headers(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; passerelle_key=k1 ; b=2"),
        );
        assert_eq!(from_headers(&headers), Some("k1"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("DeepL-Auth-Key k2"),
        );
        assert_eq!(from_headers(&headers), Some("k2"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  k3"),
        );
        assert_eq!(from_headers(&headers), Some("k3"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(
            from_headers(&headers),
            Some("k1"),
            "another scheme is no key"
        );
    }
}
