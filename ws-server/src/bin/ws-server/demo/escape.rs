//! HTML escaping for text that pages insert as markup (the chat's messages).

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, so that
/// it can be inserted into HTML as text in element content or a quoted attribute.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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
    use super::html_escape;

    #[test]
    fn escapes_markup_characters() {
        assert_eq!(
            html_escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(html_escape(""), "");
        assert_eq!(html_escape("héllo wörld ✓ 1+1=2"), "héllo wörld ✓ 1+1=2");
    }

    #[test]
    fn escaped_text_has_no_markup_characters() {
        let all: String = (0u8..128).map(char::from).collect();
        let escaped = html_escape(&all);
        assert!(!escaped.contains(['<', '>', '"', '\'']));
        // Every '&' left starts one of our references.
        for (i, _) in escaped.match_indices('&') {
            let rest = &escaped[i..];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|r| rest.starts_with(r)));
        }
    }
}
