//! Markdown typed by editors (news, agenda, project pages, the API's `body`), rendered for a
//! public page. Whatever the input, the HTML must hold no script, no element that loads or
//! runs something, no event handler or inline style, and no link or source with a scheme
//! other than http, https, mailto or tel.
#![no_main]

use kotapintar_domain::markdown::{plain_text, render};
use libfuzzer_sys::fuzz_target;

const FORBIDDEN_TAGS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "option", "link", "meta", "base", "svg", "math", "template",
    "noscript", "video", "audio", "source", "track", "portal",
];
const URL_ATTRIBUTES: &[&str] = &["href", "src", "cite", "action", "formaction", "srcset"];

fuzz_target!(|data: &[u8]| {
    let Ok(md) = std::str::from_utf8(data) else {
        return;
    };
    let html = render(md);
    check_html(&html, md);
    // only must not panic; its text is shown escaped
    let _ = plain_text(md);
});

/// Walks every tag of the serialised HTML (html5ever writes attribute values in double
/// quotes, with `"` escaped, so the walk is exact).
fn check_html(html: &str, md: &str) {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        let mut j = start + 1;
        assert!(
            !html[j..].starts_with('!') && !html[j..].starts_with('?'),
            "comment or declaration kept: {html:?} from {md:?}"
        );
        if b.get(j) == Some(&b'/') {
            j += 1;
        }
        let name_end = j + html[j..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(html.len() - j);
        let name = html[j..name_end].to_ascii_lowercase();
        assert!(
            !name.is_empty(),
            "a bare '<' in the output: {html:?} from {md:?}"
        );
        assert!(
            !FORBIDDEN_TAGS.contains(&name.as_str()),
            "<{name}> kept: {html:?} from {md:?}"
        );
        j = name_end;
        // attributes up to the end of the tag
        loop {
            while b
                .get(j)
                .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
            {
                j += 1;
            }
            match b.get(j) {
                None => panic!("unterminated tag: {html:?} from {md:?}"),
                Some(b'>') => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            let attr_end = j + html[j..]
                .find(|c: char| c == '=' || c == '>' || c.is_ascii_whitespace())
                .unwrap_or(html.len() - j);
            let attr = html[j..attr_end].to_ascii_lowercase();
            assert!(
                !attr.starts_with("on") && attr != "style" && attr != "srcdoc",
                "attribute {attr} kept on <{name}>: {html:?} from {md:?}"
            );
            j = attr_end;
            if b.get(j) == Some(&b'=') {
                assert_eq!(b.get(j + 1), Some(&b'"'), "unquoted value: {html:?}");
                let value_start = j + 2;
                let value_end = value_start
                    + html[value_start..]
                        .find('"')
                        .unwrap_or_else(|| panic!("unterminated value: {html:?}"));
                if URL_ATTRIBUTES.contains(&attr.as_str()) {
                    check_url(&html[value_start..value_end], html, md);
                }
                j = value_end + 1;
            }
        }
        i = j;
    }
}

/// A URL is relative (no scheme before the first `/`, `?` or `#`) or has an allowed scheme.
/// Browsers ignore tabs and newlines inside a scheme and entity-decode attributes, so the
/// check is made on the value as a browser reads it.
fn check_url(raw: &str, html: &str, md: &str) {
    let decoded = raw
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}");
    let cleaned: String = decoded
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let head = cleaned
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    // Only letters, digits, `+`, `-` and `.` (starting with a letter) make a scheme; anything
    // else before the colon makes a relative URL (`java&3x09;script:` is a path).
    let is_scheme = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    if let Some((scheme, _)) = head.split_once(':').filter(|(s, _)| is_scheme(s)) {
        assert!(
            ["http", "https", "mailto", "tel"].contains(&scheme),
            "URL with scheme {scheme:?} kept: {raw:?} in {html:?} from {md:?}"
        );
    }
}
