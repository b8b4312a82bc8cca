//! Where the characters of a TOML string's value are in the file: the
//! value differs from what is written by its quotes, escapes and, in
//! multi-line strings, a first newline and line-ending backslashes.

/// The byte offset in the file of each character of the value of the
/// string literal `raw` written at `start`, then of its closing quote; an
/// escape is placed at its backslash. `None` when `raw` is not a string.
pub(super) fn char_offsets(raw: &str, start: usize) -> Option<Vec<usize>> {
    let (quote, escapes) = if raw.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if raw.starts_with("'''") {
        ("'''", false)
    } else if raw.starts_with('"') {
        ("\"", true)
    } else if raw.starts_with('\'') {
        ("'", false)
    } else {
        return None;
    };
    let body_end = raw.len().checked_sub(quote.len()).filter(|&end| end >= quote.len() && raw[end..] == *quote)?;
    let mut body_start = quote.len();
    if quote.len() == 3 {
        // A newline right after the opening quotes is not part of the value.
        let rest = &raw[body_start..body_end];
        body_start += if rest.starts_with('\n') {
            1
        } else if rest.starts_with("\r\n") {
            2
        } else {
            0
        };
    }
    let body = &raw[body_start..body_end];
    let mut offsets = Vec::with_capacity(body.len() + 1);
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !(escapes && c == '\\') {
            offsets.push(start + body_start + at);
            continue;
        }
        match chars.peek().map(|&(_, next)| next) {
            // A line-ending backslash removes itself and the white space and newlines after it.
            Some(' ' | '\t' | '\r' | '\n') => {
                while chars.next_if(|&(_, next)| matches!(next, ' ' | '\t' | '\r' | '\n')).is_some() {}
            }
            Some(kind) => {
                chars.next();
                let digits = match kind {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                for _ in 0..digits {
                    chars.next();
                }
                offsets.push(start + body_start + at);
            }
            None => return None,
        }
    }
    offsets.push(start + body_end);
    Some(offsets)
}
