//! Markdown written by editors, rendered to HTML that is safe to put on a public page.
//!
//! pulldown-cmark renders CommonMark; ammonia then keeps only an allow-list of tags and
//! attributes, so scripts, event handlers, `javascript:` links and inline styles never reach a
//! reader, whatever was typed (raw HTML included).

use pulldown_cmark::{html, Options, Parser};

/// Renders and sanitises. The result is safe to insert unescaped into a page.
pub fn render(md: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(md.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(md, opts));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// Plain text of the Markdown (for search, feeds' summaries and meta descriptions).
pub fn plain_text(md: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut out = String::with_capacity(md.len());
    for ev in Parser::new(md) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push(' '),
            Event::Start(Tag::Item) => {}
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text for HTML and XML, in content and in quoted attributes: the one escaping of
/// the search's snippets and the SVG charts.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(escape("Jalan rusak"), "Jalan rusak");
    }

    #[test]
    fn renders_markdown() {
        let h = render("# Judul\n\nJalan **diperbaiki** minggu ini.\n\n- satu\n- dua");
        assert!(h.contains("<h1>Judul</h1>"));
        assert!(h.contains("<strong>diperbaiki</strong>"));
        assert!(h.contains("<li>satu</li>"));
    }

    #[test]
    fn neutralises_scripts_handlers_and_javascript_links() {
        let h = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[klik](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\">a</a>\n\n<p style=\"color:red\" onclick=\"x()\">teks</p>\n\n<iframe src=\"https://evil\"></iframe>",
        );
        let lower = h.to_lowercase();
        assert!(!lower.contains("<script"), "{h}");
        assert!(!lower.contains("onerror"), "{h}");
        assert!(!lower.contains("onclick"), "{h}");
        assert!(!lower.contains("javascript:"), "{h}");
        assert!(!lower.contains("style="), "{h}");
        assert!(!lower.contains("<iframe"), "{h}");
        assert!(h.contains("teks"));
    }

    #[test]
    fn links_get_a_safe_rel() {
        let h = render("[Badung](https://badungkab.go.id)");
        assert!(h.contains("href=\"https://badungkab.go.id\""));
        assert!(h.contains("noopener"));
    }

    #[test]
    fn plain_text_drops_markup() {
        assert_eq!(
            plain_text("# Judul\n\nJalan **diperbaiki**.\n\n- satu\n- dua"),
            "Judul Jalan diperbaiki. satu dua"
        );
    }
}
