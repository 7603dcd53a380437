//! The Python literals of an `.npy` header, parsed in one pass.
//!
//! A header is a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`; writers
//! may add keys whose values are other literals (strings, numbers,
//! tuples, lists, dicts). Each character is looked at once, and containers
//! may nest [`MAX_DEPTH`] deep: no real header comes near that, and a bound
//! keeps the recursion (and the time) small on a hostile file.

use std::ops::Range;

/// How deep containers may nest, the header's own dict included.
pub const MAX_DEPTH: usize = 32;

/// A parsed literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A quoted string, with its escapes resolved.
    Str(String),
    /// A bare word or number: `True`, `None`, `3`, `-1.5e3`.
    Atom(String),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<Entry>),
}

/// A dict entry, with where its value stands in the text (in characters).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Literal,
    pub value: Literal,
    pub value_span: Range<usize>,
}

/// Why a header does not parse; `at` counts characters from its start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralError {
    pub at: usize,
    pub what: String,
}

/// Parses `text` as one dict literal, with only white space around it.
pub fn parse_dict(text: &[char]) -> Result<Vec<Entry>, LiteralError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_space();
    if parser.peek() != Some('{') {
        return Err(parser.unexpected("'{' (the header is a dict)"));
    }
    let Literal::Dict(entries) = parser.value(0)? else {
        unreachable!("a value that starts with '{{' is a dict")
    };
    parser.skip_space();
    if parser.peek().is_some() {
        return Err(parser.unexpected("the end of the header after the dict"));
    }
    Ok(entries)
}

struct Parser<'a> {
    text: &'a [char],
    pos: usize,
}

/// Characters of a bare word or number.
fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | '\x0c')) {
            self.pos += 1;
        }
    }

    fn error(&self, what: impl Into<String>) -> LiteralError {
        LiteralError {
            at: self.pos,
            what: what.into(),
        }
    }

    /// "expected X, found Y" at the current position.
    fn unexpected(&self, expected: &str) -> LiteralError {
        let found = match self.peek() {
            None => "the end of the header".to_owned(),
            Some(c) => format!("'{c}'"),
        };
        self.error(format!("expected {expected}, found {found}"))
    }

    /// One literal; `depth` counts the containers around it.
    fn value(&mut self, depth: usize) -> Result<Literal, LiteralError> {
        self.skip_space();
        match self.peek() {
            Some(open @ ('{' | '(' | '[')) => {
                if depth >= MAX_DEPTH {
                    return Err(self.error(format!("containers nested more than {MAX_DEPTH} deep")));
                }
                self.pos += 1;
                match open {
                    '{' => self.dict(depth + 1),
                    '(' => self.sequence(')', depth + 1),
                    _ => self.sequence(']', depth + 1),
                }
            }
            Some(quote @ ('\'' | '"')) => self.string(quote).map(Literal::Str),
            Some(c) if is_atom_char(c) => {
                let start = self.pos;
                while self.peek().is_some_and(is_atom_char) {
                    self.pos += 1;
                }
                Ok(Literal::Atom(self.text[start..self.pos].iter().collect()))
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    /// After the opening bracket: items up to `close`. `(x)` without a
    /// comma is `x` itself, as in Python.
    fn sequence(&mut self, close: char, depth: usize) -> Result<Literal, LiteralError> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth)?);
            self.skip_space();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    comma = true;
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected(&format!("',' or '{close}'"))),
            }
        }
        Ok(match close {
            ']' => Literal::List(items),
            _ if items.len() == 1 && !comma => items.pop().expect("one item"),
            _ => Literal::Tuple(items),
        })
    }

    /// After the `{`: entries up to `}`.
    fn dict(&mut self, depth: usize) -> Result<Literal, LiteralError> {
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Literal::Dict(entries));
            }
            let key = self.value(depth)?;
            self.skip_space();
            if self.peek() != Some(':') {
                return Err(self.unexpected("':' after a key"));
            }
            self.pos += 1;
            self.skip_space();
            let start = self.pos;
            let value = self.value(depth)?;
            entries.push(Entry {
                key,
                value,
                value_span: start..self.pos,
            });
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// A quoted string on one line, with Python's common escapes.
    fn string(&mut self, quote: char) -> Result<String, LiteralError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("a string that does not end"));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(text),
                '\n' | '\r' => {
                    self.pos -= 1;
                    return Err(self.error("a line break inside a string"));
                }
                '\\' => {
                    let Some(escaped) = self.peek() else { continue };
                    self.pos += 1;
                    match escaped {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        'r' => text.push('\r'),
                        '0' => text.push('\0'),
                        '\\' | '\'' | '"' => text.push(escaped),
                        'x' => {
                            let hex: String = self.text[self.pos..].iter().take(2).collect();
                            match u8::from_str_radix(&hex, 16) {
                                Ok(byte) if hex.len() == 2 => {
                                    self.pos += 2;
                                    text.push(char::from(byte));
                                }
                                _ => return Err(self.error("a bad \\x escape in a string")),
                            }
                        }
                        other => {
                            text.push('\\');
                            text.push(other);
                        }
                    }
                }
                c => text.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    fn dict(text: &str) -> Result<Vec<Entry>, LiteralError> {
        parse_dict(&chars(text))
    }

    #[test]
    fn a_numpy_header() {
        let entries =
            dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n")
                .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].key, Literal::Str("descr".into()));
        assert_eq!(entries[0].value, Literal::Str("<f4".into()));
        assert_eq!(entries[1].value, Literal::Atom("False".into()));
        assert_eq!(
            entries[2].value,
            Literal::Tuple(vec![Literal::Atom("3".into()), Literal::Atom("4".into())])
        );
    }

    #[test]
    fn tuples_of_one_and_none_and_groups() {
        let entries =
            dict("{'a': (3,), 'b': (), 'c': (3), \"d\": [1, [2, {'e': -1.5e3}]]}").unwrap();
        assert_eq!(
            entries[0].value,
            Literal::Tuple(vec![Literal::Atom("3".into())])
        );
        assert_eq!(entries[1].value, Literal::Tuple(vec![]));
        assert_eq!(entries[2].value, Literal::Atom("3".into()));
        assert!(matches!(entries[3].value, Literal::List(ref items) if items.len() == 2));
        assert_eq!(entries[3].value_span, 36..59);
    }

    #[test]
    fn string_escapes() {
        let entries = dict(r"{'a': 'x\'y\\z\x1b\n'}").unwrap();
        assert_eq!(entries[0].value, Literal::Str("x'y\\z\x1b\n".into()));
        assert!(dict(r"{'a': '\x1'}").is_err());
        assert!(dict("{'a': 'open}").is_err());
        assert!(dict("{'a': 'line\nbreak'}").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| format!("{{'x': {}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(dict(&nested(MAX_DEPTH - 1)).is_ok());
        let err = dict(&nested(MAX_DEPTH)).unwrap_err();
        assert!(err.what.contains("nested more than 32"), "{err:?}");
        // a million levels: refused at once, without deep recursion
        let err = dict(&nested(1_000_000)).unwrap_err();
        assert_eq!(err.at, 6 + MAX_DEPTH - 1);
    }

    #[test]
    fn malformed_headers() {
        for (text, what) in [
            ("", "expected '{'"),
            ("[1]", "expected '{'"),
            ("{'a' 1}", "expected ':'"),
            ("{'a': 1 'b': 2}", "expected ',' or '}'"),
            ("{'a': (1 2)}", "expected ',' or ')'"),
            ("{'a': }", "expected a value"),
            ("{'a': 1}}", "expected the end of the header"),
            ("{'a': 1", "found the end of the header"),
            ("{'a': \x1b}", "found '\x1b'"),
        ] {
            let err = dict(text).unwrap_err();
            assert!(err.what.contains(what), "{text:?}: {err:?}");
        }
    }
}
