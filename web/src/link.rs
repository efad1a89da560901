//! The page's URL: the share fragment (`#s=...&step=N`, see
//! `buddyscope_engine::scenario::share`) and the embed switch (`?embed=1`). Pure string
//! functions, so they are tested natively; `app` reads and writes the location.

/// Whether the query string asks for the compact embedded layout.
pub fn is_embed(search: &str) -> bool {
    search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "embed=1" || p == "embed")
}

/// The query string without the embed switch (for "Open in Buddyscope").
pub fn without_embed(search: &str) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && *p != "embed=1" && *p != "embed")
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// The query string with the embed switch.
pub fn with_embed(search: &str) -> String {
    match without_embed(search).as_str() {
        "" => "?embed=1".to_string(),
        other => format!("{other}&embed=1"),
    }
}

/// Escapes text for an HTML attribute value in double quotes.
pub fn attribute_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The iframe snippet a course page pastes: the embed URL, a `title` for screen
/// readers (the scenario's, escaped), lazy loading and a sensible height.
pub fn embed_snippet(embed_url: &str, title: &str) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"760\" loading=\"lazy\" style=\"border:1px solid #ccc;border-radius:6px\"></iframe>",
        attribute_escape(embed_url),
        attribute_escape(&format!("Buddyscope: {title}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_switch_is_read_and_removed() {
        assert!(is_embed("?embed=1"));
        assert!(is_embed("?a=b&embed=1"));
        assert!(!is_embed("?embedded=1"));
        assert_eq!(without_embed("?a=b&embed=1"), "?a=b");
        assert_eq!(without_embed("?embed=1"), "");
        assert_eq!(with_embed(""), "?embed=1");
        assert_eq!(with_embed("?a=b"), "?a=b&embed=1");
    }

    #[test]
    fn the_snippet_escapes_the_title_and_url() {
        let snippet = embed_snippet(
            "https://x.test/b/?embed=1#s=p1.a&step=2",
            "A \"quoted\" <title>",
        );
        assert!(snippet.contains("title=\"Buddyscope: A &quot;quoted&quot; &lt;title&gt;\""));
        assert!(snippet.contains("src=\"https://x.test/b/?embed=1#s=p1.a&amp;step=2\""));
    }
}
