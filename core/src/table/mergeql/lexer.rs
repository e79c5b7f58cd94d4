//! MergeQL tokens with their positions.
//!
//! Quoted strings (`'...'`, `"..."`, backslash escapes kept verbatim as the
//! reference keeps them) are one token without their quotes; `->`, `,`,
//! `(`, `)` and the comparison operators `=`, `!=`, `<>`, `<`, `<=`, `>`,
//! `>=` are punctuation; any other run of non-space characters is a word
//! (a `-` not followed by `>` belongs to the word). An unterminated quote
//! or a lone `!` is a syntax error (the reference silently drops them).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::error::MergeqlError;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: name, number, keyword.
    Word,
    /// A quoted string (quotes removed).
    Quoted,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `->`
    Arrow,
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub kind: TokenKind,
    /// Text (a quoted string's content without the quotes).
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// Character offsets of the token in the statement (quotes included).
    pub span: (usize, usize),
}

impl Token {
    /// True for an unquoted word equal to `kw` ignoring ASCII case.
    pub fn is_word(&self, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(kw)
    }
}

fn is_special(c: char) -> bool {
    matches!(c, ',' | '(' | ')' | '=' | '\'' | '"' | '<' | '>' | '!')
}

/// Split a statement into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, MergeqlError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    while i < chars.len() {
        let c = chars[i];
        let (tl, tc) = (line, col);
        let start = i;
        let tok = |kind, text: String, end: usize| Token {
            kind,
            text,
            line: tl,
            column: tc,
            span: (start, end),
        };
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let mut j = i + 1;
            let mut text = String::new();
            let (mut l2, mut c2) = (line, col + 1);
            loop {
                let Some(&d) = chars.get(j) else {
                    return Err(MergeqlError::Syntax {
                        line: tl,
                        column: tc,
                        msg: format!("unterminated string starting with {c}"),
                    });
                };
                if d == c {
                    break;
                }
                if d == '\\' {
                    if let Some(&e) = chars.get(j + 1) {
                        text.push(d);
                        text.push(e);
                        if e == '\n' {
                            l2 += 1;
                            c2 = 1;
                        } else {
                            c2 += 2;
                        }
                        j += 2;
                        continue;
                    }
                }
                text.push(d);
                if d == '\n' {
                    l2 += 1;
                    c2 = 1;
                } else {
                    c2 += 1;
                }
                j += 1;
            }
            out.push(tok(TokenKind::Quoted, text, j + 1));
            i = j + 1;
            line = l2;
            col = c2 + 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let two = |k| (k, 2usize);
        let punct = match (c, next) {
            ('-', Some('>')) => Some(two(TokenKind::Arrow)),
            ('!', Some('=')) => Some(two(TokenKind::Ne)),
            ('<', Some('>')) => Some(two(TokenKind::Ne)),
            ('<', Some('=')) => Some(two(TokenKind::Le)),
            ('>', Some('=')) => Some(two(TokenKind::Ge)),
            ('<', _) => Some((TokenKind::Lt, 1)),
            ('>', _) => Some((TokenKind::Gt, 1)),
            ('=', _) => Some((TokenKind::Eq, 1)),
            (',', _) => Some((TokenKind::Comma, 1)),
            ('(', _) => Some((TokenKind::LParen, 1)),
            (')', _) => Some((TokenKind::RParen, 1)),
            ('!', _) => {
                return Err(MergeqlError::Syntax {
                    line,
                    column: col,
                    msg: "unexpected '!' (did you mean '!=')".into(),
                })
            }
            _ => None,
        };
        if let Some((kind, n)) = punct {
            out.push(tok(kind, chars[i..i + n].iter().collect(), i + n));
            i += n;
            col += n;
            continue;
        }
        let mut j = i;
        while j < chars.len() {
            let d = chars[j];
            if d.is_whitespace() || is_special(d) || (d == '-' && chars.get(j + 1) == Some(&'>')) {
                break;
            }
            j += 1;
        }
        out.push(tok(TokenKind::Word, chars[i..j].iter().collect(), j));
        col += j - i;
        i = j;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn kinds(s: &str) -> Vec<(TokenKind, String)> {
        tokenize(s)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn words_quotes_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds("MERGE a,b ON id STRATEGY x='max' MAP old->new WHERE n>=-5"),
            vec![
                (Word, "MERGE".into()),
                (Word, "a".into()),
                (Comma, ",".into()),
                (Word, "b".into()),
                (Word, "ON".into()),
                (Word, "id".into()),
                (Word, "STRATEGY".into()),
                (Word, "x".into()),
                (Eq, "=".into()),
                (Quoted, "max".into()),
                (Word, "MAP".into()),
                (Word, "old".into()),
                (Arrow, "->".into()),
                (Word, "new".into()),
                (Word, "WHERE".into()),
                (Word, "n".into()),
                (Ge, ">=".into()),
                (Word, "-5".into()),
            ]
        );
    }

    #[test]
    fn positions_and_errors() {
        let t = tokenize("MERGE a\n  ON 'x y'").unwrap();
        assert_eq!((t[2].line, t[2].column), (2, 3));
        assert_eq!((t[3].line, t[3].column, t[3].text.as_str()), (2, 6, "x y"));
        let e = tokenize("MERGE a ON 'id").unwrap_err();
        assert_eq!(e.to_string(), "1:12: unterminated string starting with '");
        assert!(tokenize("a ! b").is_err());
    }
}
