//! A request's fields as LibreTranslate's and DeepL's clients send them: a JSON object or a
//! form, whichever comes, and the query string.

use axum::http::{header, HeaderMap};
use serde_json::Value;

/// A request's fields, from a JSON object or a form (repeated keys kept, in order), whichever
/// the client sent, and from the query string (where clients put them on a GET).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    /// The fields of a request; an error says what could not be read.
    pub fn read(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Self, String> {
        let form = |bytes: &[u8]| {
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect::<Vec<_>>()
        };
        let mut fields = query.map(|q| form(q.as_bytes())).unwrap_or_default();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let json = content_type.starts_with("application/json")
            || (content_type.is_empty() && body.trim_ascii_start().starts_with(b"{"));
        if json {
            match serde_json::from_slice(body) {
                Ok(Value::Object(map)) => fields.extend(map),
                Ok(_) => return Err("the JSON body must be an object".into()),
                Err(err) => return Err(format!("the body is not valid JSON ({err})")),
            }
        } else {
            fields.extend(form(body));
        }
        Ok(Self(fields))
    }

    /// The first value of `name` that is a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .find_map(|(_, v)| v.as_str())
    }

    /// Every text given as `name` (an array's items, or each repeat of a form field), and
    /// whether it was a list (an array, or given more than once); `None` when it is absent.
    pub fn strings(&self, name: &str) -> Option<(Vec<String>, bool)> {
        let values: Vec<&Value> = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() {
            return None;
        }
        let list = values.len() > 1 || values.iter().any(|v| v.is_array());
        let texts = values
            .into_iter()
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().map(text_of).collect(),
                other => vec![text_of(other)],
            })
            .collect();
        Some((texts, list))
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn typed(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn a_form_keeps_its_repeats_and_a_json_array_is_a_list() {
        let form = typed("application/x-www-form-urlencoded");
        let fields = Fields::read(
            &form,
            Some("type=target"),
            b"text=Un&text=Deux+%C3%A9t%C3%A9&target_lang=EN",
        )
        .expect("a form");
        assert_eq!(
            fields.strings("text"),
            Some((vec!["Un".into(), "Deux été".into()], true))
        );
        assert_eq!(fields.str("type"), Some("target"), "the query is read too");
        assert_eq!(
            fields.strings("target_lang"),
            Some((vec!["EN".into()], false))
        );
        assert_eq!(fields.strings("source_lang"), None);

        let json = typed("application/json; charset=utf-8");
        let fields = Fields::read(
            &json,
            None,
            br#"{"q": ["Un", null], "api_key": null, "n": 3}"#,
        )
        .expect("JSON");
        assert_eq!(
            fields.strings("q"),
            Some((vec!["Un".into(), String::new()], true))
        );
        assert_eq!(fields.str("api_key"), None, "null is no key");
        assert_eq!(fields.strings("n"), Some((vec!["3".into()], false)));
        // No content type, as curl sends with -d: JSON is told by its brace.
        let bare = Fields::read(&HeaderMap::new(), None, br#" {"q": "Un"}"#).expect("bare JSON");
        assert_eq!(bare.str("q"), Some("Un"));
    }

    #[test]
    fn a_body_that_is_not_an_object_says_so() {
        let json = typed("application/json");
        let err = Fields::read(&json, None, b"[1, 2]").expect_err("an array");
        assert!(err.contains("object"), "{err}");
        let err = Fields::read(&json, None, b"{\"q\": ").expect_err("cut short");
        assert!(err.contains("not valid JSON"), "{err}");
    }
}
