//! The WHERE filter: comparisons joined by AND / OR (AND binds tighter),
//! with parentheses.
//!
//! ```text
//! filter := and {OR and}      and := atom {AND atom}
//! atom   := ( filter ) | field op value      op := = != <> < <= > >=
//! value  := one or more words / quoted strings (joined by one space)
//! ```
//! A comparison is false when the field is absent or null. Otherwise, as
//! the reference: when both the field value and the literal read as Python
//! `float()`, they compare as numbers; else `str(value)` compares with the
//! literal as text.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::error::MergeqlError;
use super::lexer::{Token, TokenKind};
use crate::table::pycmp::{py_float, py_str};
use crate::value::Value;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` / `<>`
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

/// A parsed WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Any of these.
    Or(Vec<Filter>),
    /// All of these.
    And(Vec<Filter>),
    /// `field op value`.
    Cmp {
        /// Column name.
        field: String,
        /// Operator.
        op: CmpOp,
        /// Literal text (quotes removed).
        value: String,
        /// The literal as a Python float, when it reads as one.
        number: Option<f64>,
    },
    /// A parenthesised filter.
    Group(Box<Filter>),
}

struct P<'a> {
    toks: &'a [Token],
    pos: usize,
    end: (usize, usize),
}

impl P<'_> {
    fn err(&self, msg: String) -> MergeqlError {
        let (line, column) = self
            .toks
            .get(self.pos)
            .map_or(self.end, |t| (t.line, t.column));
        MergeqlError::Syntax { line, column, msg }
    }

    fn or(&mut self) -> Result<Filter, MergeqlError> {
        let mut parts = alloc::vec![self.and()?];
        while self.toks.get(self.pos).is_some_and(|t| t.is_word("OR")) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Filter, MergeqlError> {
        let mut parts = alloc::vec![self.atom()?];
        while self.toks.get(self.pos).is_some_and(|t| t.is_word("AND")) {
            self.pos += 1;
            parts.push(self.atom()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn atom(&mut self) -> Result<Filter, MergeqlError> {
        let Some(t) = self.toks.get(self.pos) else {
            return Err(self.err("expected a comparison in WHERE".into()));
        };
        if t.kind == TokenKind::LParen {
            self.pos += 1;
            let inner = self.or()?;
            if self.toks.get(self.pos).map(|t| t.kind) != Some(TokenKind::RParen) {
                return Err(self.err("expected ')' in WHERE".into()));
            }
            self.pos += 1;
            return Ok(Filter::Group(Box::new(inner)));
        }
        if !matches!(t.kind, TokenKind::Word | TokenKind::Quoted) {
            return Err(self.err(format!(
                "expected a field name in WHERE, found '{}'",
                t.text
            )));
        }
        self.pos += 1;
        let op = match self.toks.get(self.pos).map(|t| t.kind) {
            Some(TokenKind::Eq) => CmpOp::Eq,
            Some(TokenKind::Ne) => CmpOp::Ne,
            Some(TokenKind::Lt) => CmpOp::Lt,
            Some(TokenKind::Le) => CmpOp::Le,
            Some(TokenKind::Gt) => CmpOp::Gt,
            Some(TokenKind::Ge) => CmpOp::Ge,
            _ => {
                return Err(self.err(format!(
                    "expected a comparison operator after '{}' in WHERE",
                    t.text
                )))
            }
        };
        self.pos += 1;
        let mut words: Vec<&str> = Vec::new();
        while let Some(v) = self.toks.get(self.pos) {
            let literal = match v.kind {
                TokenKind::Quoted => true,
                TokenKind::Word => !v.is_word("AND") && !v.is_word("OR"),
                _ => false,
            };
            if !literal {
                break;
            }
            words.push(&v.text);
            self.pos += 1;
        }
        if words.is_empty() {
            return Err(self.err(format!("expected a value after '{}' in WHERE", t.text)));
        }
        let value: String = words
            .join(" ")
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .into();
        Ok(Filter::Cmp {
            field: t.text.clone(),
            op,
            number: py_float(&value),
            value,
        })
    }
}

/// Parse the tokens of a WHERE clause; `end` is where the clause ends.
pub(super) fn parse(toks: &[Token], end: (usize, usize)) -> Result<Filter, MergeqlError> {
    let mut p = P { toks, pos: 0, end };
    let f = p.or()?;
    if p.pos < toks.len() {
        return Err(p.err(format!("unexpected '{}' in WHERE", toks[p.pos].text)));
    }
    Ok(f)
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Str(s) => py_float(s),
        _ => None,
    }
}

fn test<T: PartialOrd + ?Sized>(a: &T, op: CmpOp, b: &T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

impl Filter {
    /// Whether a row passes; `get` looks a column up (None = absent).
    pub fn matches<'v>(&self, get: &dyn Fn(&str) -> Option<&'v Value>) -> bool {
        match self {
            Filter::Or(parts) => parts.iter().any(|f| f.matches(get)),
            Filter::And(parts) => parts.iter().all(|f| f.matches(get)),
            Filter::Group(f) => f.matches(get),
            Filter::Cmp {
                field,
                op,
                value,
                number,
            } => {
                let v = match get(field) {
                    None | Some(Value::None) => return false,
                    Some(v) => v,
                };
                if let (Some(a), Some(b)) = (as_number(v), *number) {
                    return test(&a, *op, &b);
                }
                let s = py_str(v);
                test(s.as_ref(), *op, value.as_str())
            }
        }
    }
}
