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

/// The origin the embed answers, from `host=ORIGIN` in the query string
/// (`?embed=1&host=https://notes.example.edu`, `:` and `/` optionally
/// percent-encoded): `Ok(None)` without one, an error naming a value that is not an
/// origin (scheme `http` or `https`, a host, an optional port, no path).
pub fn host_origin(search: &str) -> Result<Option<String>, String> {
    let Some(value) = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("host="))
    else {
        return Ok(None);
    };
    let decoded = value
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%2F", "/")
        .replace("%2f", "/");
    let origin = decoded.strip_suffix('/').unwrap_or(&decoded);
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let valid = rest.is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    if valid {
        Ok(Some(origin.to_ascii_lowercase()))
    } else {
        Err(format!(
            "`host={value}` is not an origin (such as https://notes.example.edu): the embed answers no page"
        ))
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
    fn the_host_origin_is_read_or_refused() {
        assert_eq!(host_origin("?embed=1"), Ok(None));
        assert_eq!(
            host_origin("?embed=1&host=https://notes.example.edu"),
            Ok(Some("https://notes.example.edu".to_string()))
        );
        assert_eq!(
            host_origin("?host=http%3A%2F%2F127.0.0.1%3A8081%2F&embed=1"),
            Ok(Some("http://127.0.0.1:8081".to_string()))
        );
        for bad in [
            "?host=",
            "?host=notes.example.edu",
            "?host=https://a.edu/notes",
            "?host=javascript:1",
        ] {
            let err = host_origin(bad).unwrap_err();
            assert!(err.contains("is not an origin"), "{bad}: {err}");
        }
    }

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
