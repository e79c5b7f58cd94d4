//! MergeQL statements → [`Statement`] (the reference's `MergeAST` as the
//! [`MergeqlQuery`] record, plus the parsed WHERE filter and token
//! positions for validation errors).
//!
//! ```text
//! statement := [EXPLAIN] MERGE source {[,] source} ON key clause*
//! clause    := STRATEGY field = name {[,] field = name}
//!            | WHERE filter            (see the filter module)
//!            | LIMIT integer
//!            | MAP old -> new {[,] old -> new}
//! ```
//! Keywords are case-insensitive unquoted words; names may be quoted.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::error::MergeqlError;
use super::filter::{self, Filter};
use super::lexer::{tokenize, Token, TokenKind};
use crate::ordered_map::OrderedMap;
use crate::records::mergeql::MergeqlQuery;
use crate::value::Value;

/// The statement keywords (clause starts).
pub const KEYWORDS: [&str; 7] = [
    "MERGE", "ON", "STRATEGY", "WHERE", "LIMIT", "MAP", "EXPLAIN",
];

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The statement as the reference's AST record.
    pub query: MergeqlQuery,
    /// The WHERE clause, parsed.
    pub filter: Option<Filter>,
    /// (line, column) of each source name, aligned with `query.sources`.
    pub source_pos: Vec<(usize, usize)>,
    /// (line, column) of each strategy name, aligned with `query.strategies`.
    pub strategy_pos: Vec<(usize, usize)>,
}

pub(super) fn is_keyword(t: &Token) -> bool {
    KEYWORDS.iter().any(|k| t.is_word(k))
}

struct P<'a> {
    toks: &'a [Token],
    pos: usize,
    end: (usize, usize),
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn err_here(&self, msg: String) -> MergeqlError {
        let (line, column) = self.peek().map_or(self.end, |t| (t.line, t.column));
        MergeqlError::Syntax { line, column, msg }
    }

    fn name(&mut self, what: &str) -> Result<&'a Token, MergeqlError> {
        match self.peek() {
            Some(t) if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) && !is_keyword(t) => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) => Err(self.err_here(format!("expected {what}, found '{}'", t.text))),
            None => Err(self.err_here(format!("expected {what} at end of statement"))),
        }
    }

    fn at_clause_end(&self) -> bool {
        self.peek().is_none_or(is_keyword)
    }

    fn skip_commas(&mut self) {
        while self.peek().is_some_and(|t| t.kind == TokenKind::Comma) {
            self.pos += 1;
        }
    }
}

/// Parse one statement.
pub fn parse(src: &str) -> Result<Statement, MergeqlError> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(MergeqlError::Syntax {
            line: 1,
            column: 1,
            msg: "empty query".into(),
        });
    }
    let end = {
        let line = src.matches('\n').count() + 1;
        let column = src.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    };
    let mut p = P {
        toks: &toks,
        pos: 0,
        end,
    };
    let explain = p.peek().is_some_and(|t| t.is_word("EXPLAIN"));
    if explain {
        p.pos += 1;
    }
    match p.peek() {
        Some(t) if t.is_word("MERGE") => p.pos += 1,
        Some(t) => return Err(p.err_here(format!("expected MERGE, found '{}'", t.text))),
        None => return Err(p.err_here("expected MERGE after EXPLAIN".into())),
    }
    let mut sources = Vec::new();
    let mut source_pos = Vec::new();
    loop {
        p.skip_commas();
        if p.at_clause_end() {
            break;
        }
        let t = p.name("a source name")?;
        sources.push(t.text.clone());
        source_pos.push((t.line, t.column));
    }
    if sources.is_empty() {
        return Err(p.err_here("no sources after MERGE".into()));
    }
    match p.peek() {
        Some(t) if t.is_word("ON") => p.pos += 1,
        _ => return Err(p.err_here("expected ON after the source list".into())),
    }
    let on_key = p.name("a key column after ON")?.text.clone();

    let mut strategies: OrderedMap<Value, Value> = OrderedMap::new();
    let mut strategy_pos = Vec::new();
    let mut where_clause = None;
    let mut filter = None;
    let mut limit = None;
    let mut mapping: Option<OrderedMap<Value, Value>> = None;
    while let Some(t) = p.peek() {
        p.pos += 1;
        if t.is_word("STRATEGY") {
            // A repeated STRATEGY clause replaces the earlier one (as the reference).
            strategies = OrderedMap::new();
            let mut pos_by_field: Vec<(String, (usize, usize))> = Vec::new();
            loop {
                p.skip_commas();
                if p.at_clause_end() {
                    break;
                }
                let field = p.name("a field name in STRATEGY")?;
                match p.peek() {
                    Some(e) if e.kind == TokenKind::Eq => p.pos += 1,
                    _ => {
                        return Err(p.err_here(format!(
                            "expected '=' after field name '{}' in STRATEGY",
                            field.text
                        )))
                    }
                }
                let name = p.name(&format!("a strategy name after '{}='", field.text))?;
                strategies.insert(
                    Value::str(field.text.as_str()),
                    Value::str(name.text.as_str()),
                );
                match pos_by_field.iter_mut().find(|(f, _)| *f == field.text) {
                    Some(e) => e.1 = (name.line, name.column),
                    None => pos_by_field.push((field.text.clone(), (name.line, name.column))),
                }
            }
            strategy_pos = pos_by_field.into_iter().map(|(_, p)| p).collect();
        } else if t.is_word("WHERE") {
            let start = p.pos;
            while !p.at_clause_end() {
                p.pos += 1;
            }
            let part = &toks[start..p.pos];
            if part.is_empty() {
                where_clause = None;
                filter = None;
            } else {
                where_clause = Some(clause_text(part));
                let at_end = p.peek().map_or(end, |t| (t.line, t.column));
                filter = Some(filter::parse(part, at_end)?);
            }
        } else if t.is_word("LIMIT") {
            let n = match p.peek() {
                Some(n) if n.kind == TokenKind::Word => n,
                _ => return Err(p.err_here("expected a number after LIMIT".into())),
            };
            let v: i64 = n
                .text
                .strip_prefix('+')
                .unwrap_or(&n.text)
                .parse()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| {
                    p.err_here(format!(
                        "LIMIT must be a non-negative integer, got '{}'",
                        n.text
                    ))
                })?;
            p.pos += 1;
            limit = Some(v);
        } else if t.is_word("MAP") {
            let mut m = OrderedMap::new();
            loop {
                p.skip_commas();
                if p.at_clause_end() {
                    break;
                }
                let old = p.name("a column name in MAP")?;
                match p.peek() {
                    Some(a) if a.kind == TokenKind::Arrow => p.pos += 1,
                    _ => {
                        return Err(p.err_here(format!("expected '->' after '{}' in MAP", old.text)))
                    }
                }
                let new = p.name(&format!("a new column name after '{} ->'", old.text))?;
                m.insert(Value::str(old.text.as_str()), Value::str(new.text.as_str()));
            }
            mapping = if m.is_empty() { None } else { Some(m) };
        } else {
            p.pos -= 1;
            return Err(p.err_here(format!("unexpected token '{}'", t.text)));
        }
    }
    Ok(Statement {
        query: MergeqlQuery {
            sources,
            on_key,
            strategies,
            where_clause,
            explain,
            schema_mapping: mapping,
            limit,
            extra: Default::default(),
        },
        filter,
        source_pos,
        strategy_pos,
    })
}

/// The WHERE text as the reference records it: its tokens (quotes removed)
/// joined by one space, where the reference's tokens are ours glued back
/// together when nothing separated them and no `=`, `,`, `(`, `)`, `->` or
/// quote splits them (it reads `a>5` as one token).
fn clause_text(part: &[Token]) -> String {
    let glue = |t: &Token| matches!(t.kind, TokenKind::Word | TokenKind::Lt | TokenKind::Gt);
    let mut out = String::new();
    for (i, t) in part.iter().enumerate() {
        if i > 0 {
            let prev = &part[i - 1];
            if !(prev.span.1 == t.span.0 && glue(prev) && glue(t)) {
                out.push(' ');
            }
        }
        out.push_str(&t.text);
    }
    out
}

impl Statement {
    /// Strategy name for a field as written, with its position.
    pub fn strategies(&self) -> impl Iterator<Item = (&str, &str, (usize, usize))> {
        self.query
            .strategies
            .iter()
            .zip(&self.strategy_pos)
            .filter_map(|((f, s), p)| Some((f.as_str()?, s.as_str()?, *p)))
    }
}
