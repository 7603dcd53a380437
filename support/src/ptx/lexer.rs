//! Splits PTX text into tokens.
//!
//! The grammar of the subset needs only four kinds of token: identifiers
//! (`ld`, `%out`, `p_n`, `VECTOR`, `sm_70`), dotted words (`.global`,
//! `.u32`, `.x`: an opcode's modifiers, a directive, a special register's
//! component), numbers (kept as text; the parser decides what a literal
//! means in its place) and single punctuation characters. Comments (`//`
//! and `/* */`) are dropped. Any other character is an error.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An identifier, `%` and `$` prefixes included.
    Ident(String),
    /// A dotted word, without its dot.
    Dot(String),
    /// A numeric literal as written (`16`, `0x7F800000`, `7.0`).
    Num(String),
    /// One of `, ; : { } [ ] ( ) < > + - @ !`.
    Punct(char),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(text) | Tok::Num(text) => write!(f, "`{text}`"),
            Tok::Dot(word) => write!(f, "`.{word}`"),
            Tok::Punct(c) => write!(f, "`{c}`"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    /// 1-based line.
    pub line: u32,
}

/// A syntax or subset error, with the line it was found on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The tokens of `src`.
pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1u32;
    let mut i = 0;
    let error = |line, message: String| Err(ParseError { line, message });
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = line;
            i += 2;
            loop {
                match chars.get(i) {
                    None => return error(start, "unterminated /* comment".into()),
                    Some('*') if chars.get(i + 1) == Some(&'/') => {
                        i += 2;
                        break;
                    }
                    Some('\n') => line += 1,
                    Some(_) => {}
                }
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '%' {
            let start = i;
            i += 1;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if text == "%" {
                return error(line, "`%` without a register name".into());
            }
            tokens.push(Token {
                tok: Tok::Ident(text),
                line,
            });
        } else if c == '.' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            if i == start {
                return error(line, "`.` without a word after it".into());
            }
            tokens.push(Token {
                tok: Tok::Dot(chars[start..i].iter().collect()),
                line,
            });
        } else if c.is_ascii_digit() {
            // Take everything a PTX literal can contain (hex digits, a
            // version's dot, a suffix); the parser rejects what it does not
            // accept rather than this loop splitting it silently.
            let start = i;
            while i < chars.len() && (word_char(chars[i]) || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Num(chars[start..i].iter().collect()),
                line,
            });
        } else if ",;:{}[]()<>+-@!|".contains(c) {
            tokens.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        } else {
            return error(line, format!("unexpected character {c:?}"));
        }
    }
    Ok(tokens)
}

/// The value of an integer literal: decimal (`0` or no leading zero) or
/// hexadecimal (`0x...`), at most 64 bits. PTX's other forms (octal with a
/// leading 0, binary `0b`, float `0f`/`0d`, the `U` suffix) are rejected, so
/// that `010` can never be read as ten.
pub fn parse_int(text: &str) -> Result<u64, String> {
    let parsed = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("malformed hexadecimal literal `{text}`"));
        }
        u64::from_str_radix(hex, 16)
    } else if text == "0" || (text.chars().all(|c| c.is_ascii_digit()) && !text.starts_with('0')) {
        text.parse::<u64>()
    } else {
        return Err(format!(
            "literal `{text}` is outside the subset (decimal or 0x hexadecimal integers only)"
        ));
    };
    parsed.map_err(|_| format!("literal `{text}` does not fit in 64 bits"))
}
