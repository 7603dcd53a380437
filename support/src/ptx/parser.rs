//! Parses a PTX module of the subset into the interpreter's IR.
//!
//! Two passes per entry. The first reads the syntax: parameters, `.reg`
//! declarations, labels and instructions with their guard, opcode,
//! modifiers and operands. The second decodes each instruction against the
//! subset: the opcode and every modifier must be known, the types must be
//! ones the opcode takes, register operands must be declared with a type the
//! PTX ISA accepts for that instruction type, immediates must fit, labels
//! must exist. Anything else is an error naming the line; nothing is ever
//! skipped. Finally `verify` checks that no register can be read before it
//! is written.
//!
//! Register/type rules (PTX ISA, "Operand Type Information" and "Operand
//! Size Exceeding Instruction-Type Size"): a register operand must have the
//! instruction type's size (every integer and bit type of one size is
//! compatible with every other); only `ld`, `st` and `cvt` accept a register
//! wider than the instruction type, and never a narrower one. Predicates go
//! only where a predicate is expected.

use std::collections::HashMap;

use super::ir::{
    Axis, BinOp, Cmp, Entry, Guard, Instr, Kind, Module, Op, Param, Reg, RegDecl, ShflMode,
    Special, Src, Ty, UnOp, VoteMode,
};
use super::lexer::{lex, parse_int, ParseError, Tok, Token};
use super::verify::check_definite_assignment;

/// Parses a whole module.
pub fn parse_module(src: &str) -> Result<Module, ParseError> {
    let tokens = lex(src)?;
    let lines: Vec<&str> = src.lines().collect();
    let mut parser = Parser {
        tokens,
        at: 0,
        lines,
    };
    parser.module()
}

/// An operand as written, before it is checked against its instruction.
#[derive(Clone, Debug)]
enum Operand {
    /// `%name`, or `%name.x` for a special register's component.
    Reg {
        name: String,
        component: Option<String>,
    },
    Imm(i128),
    /// `{a, b, ...}`.
    Vector(Vec<Operand>),
    /// `[base]` or `[base+imm]`; `base` is a register or a parameter name.
    Addr {
        base: String,
        offset: i128,
    },
    /// A bare identifier: a label.
    Symbol(String),
    /// `%d|%p`: `shfl.sync`'s value and predicate destinations.
    Pair {
        value: String,
        pred: String,
    },
}

impl Operand {
    fn describe(&self) -> String {
        match self {
            Operand::Reg {
                name,
                component: None,
            } => name.clone(),
            Operand::Reg {
                name,
                component: Some(c),
            } => format!("{name}.{c}"),
            Operand::Imm(value) => format!("immediate {value}"),
            Operand::Vector(items) => format!("a {}-element vector", items.len()),
            Operand::Addr { base, offset } => format!("[{base}+{offset}]"),
            Operand::Symbol(name) => format!("symbol {name}"),
            Operand::Pair { value, pred } => format!("{value}|{pred}"),
        }
    }
}

/// An instruction as written.
struct RawInstr {
    guard: Option<(String, bool)>,
    opcode: String,
    mods: Vec<String>,
    operands: Vec<Operand>,
    line: u32,
    text: String,
}

enum Statement {
    Label(String, u32),
    Instr(RawInstr),
}

struct Parser<'s> {
    tokens: Vec<Token>,
    at: usize,
    lines: Vec<&'s str>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn peek2(&self) -> Option<&Tok> {
        self.tokens.get(self.at + 1).map(|t| &t.tok)
    }

    fn line(&self) -> u32 {
        self.tokens
            .get(self.at)
            .or_else(|| self.tokens.last())
            .map_or(1, |t| t.line)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            line: self.line(),
            message: message.into(),
        })
    }

    fn next(&mut self) -> Result<Tok, ParseError> {
        match self.tokens.get(self.at) {
            Some(token) => {
                self.at += 1;
                Ok(token.tok.clone())
            }
            None => self.error("unexpected end of the module"),
        }
    }

    fn expect_punct(&mut self, c: char) -> Result<(), ParseError> {
        match self.next()? {
            Tok::Punct(p) if p == c => Ok(()),
            other => {
                self.at -= 1;
                self.error(format!("expected `{c}`, found {other}"))
            }
        }
    }

    fn expect_dot(&mut self, word: &str) -> Result<(), ParseError> {
        match self.next()? {
            Tok::Dot(w) if w == word => Ok(()),
            other => {
                self.at -= 1;
                self.error(format!("expected `.{word}`, found {other}"))
            }
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, ParseError> {
        match self.next()? {
            Tok::Ident(name) => Ok(name),
            other => {
                self.at -= 1;
                self.error(format!("expected {what}, found {other}"))
            }
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn source_line(&self, line: u32) -> String {
        let text = self.lines.get(line as usize - 1).copied().unwrap_or("");
        text.split("//").next().unwrap_or("").trim().to_owned()
    }

    fn module(&mut self) -> Result<Module, ParseError> {
        // The three module directives, in the order PTX requires.
        self.expect_dot("version")?;
        let version = match self.next()? {
            Tok::Num(text) => {
                let parsed = text
                    .split_once('.')
                    .and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
                match parsed {
                    Some(version) => version,
                    None => return self.error(format!("malformed .version `{text}`")),
                }
            }
            other => return self.error(format!("expected a version number, found {other}")),
        };
        self.expect_dot("target")?;
        let mut targets = vec![self.target()?];
        while self.eat_punct(',') {
            targets.push(self.target()?);
        }
        self.expect_dot("address_size")?;
        match self.next()? {
            Tok::Num(text) if text == "64" => {}
            other => {
                return self.error(format!(
                    "only `.address_size 64` is in the subset, found {other}"
                ))
            }
        }

        let mut entries: Vec<Entry> = Vec::new();
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Dot(word) if word == "visible" => {
                    self.at += 1;
                    self.expect_dot("entry")?;
                }
                Tok::Dot(word) if word == "entry" => self.at += 1,
                Tok::Dot(word) => {
                    let word = word.clone();
                    return self.error(format!(
                        "module directive `.{word}` is outside the interpreter's subset"
                    ));
                }
                other => {
                    let other = other.clone();
                    return self.error(format!("expected `.visible .entry`, found {other}"));
                }
            }
            let line = self.line();
            let entry = self.entry()?;
            if entries.iter().any(|e| e.name == entry.name) {
                return Err(ParseError {
                    line,
                    message: format!("entry `{}` is defined twice", entry.name),
                });
            }
            entries.push(entry);
        }
        Ok(Module {
            version,
            targets,
            entries,
        })
    }

    fn target(&mut self) -> Result<String, ParseError> {
        let name = self.ident("a target")?;
        let known = name
            .strip_prefix("sm_")
            .is_some_and(|arch| !arch.is_empty() && arch.chars().all(|c| c.is_ascii_digit()));
        if !known {
            return self.error(format!(
                "target `{name}` is outside the subset (sm_NN only)"
            ));
        }
        Ok(name)
    }

    fn entry(&mut self) -> Result<Entry, ParseError> {
        let name = self.ident("an entry name")?;
        // Parameters, each at its natural alignment, as the driver lays
        // out the block it copies the launch arguments into.
        self.expect_punct('(')?;
        let mut params: Vec<Param> = Vec::new();
        let mut offset = 0usize;
        if !self.eat_punct(')') {
            loop {
                self.expect_dot("param")?;
                let ty = match self.next()? {
                    Tok::Dot(word) => match Ty::parse(&word) {
                        Ok(Some(ty)) if !ty.is_pred() => ty,
                        Ok(_) => return self.error(format!("`.{word}` is not a parameter type")),
                        Err(message) => return self.error(message),
                    },
                    other => {
                        return self.error(format!("expected a parameter type, found {other}"))
                    }
                };
                let param = self.ident("a parameter name")?;
                if param.starts_with('%') || params.iter().any(|p| p.name == param) {
                    return self.error(format!("bad or repeated parameter name `{param}`"));
                }
                offset = offset.div_ceil(ty.bytes()) * ty.bytes();
                params.push(Param {
                    name: param,
                    ty,
                    offset,
                });
                offset += ty.bytes();
                if self.eat_punct(')') {
                    break;
                }
                self.expect_punct(',')?;
            }
        }
        // `.maxnreg N`: the most registers ptxas may give a thread of this
        // entry (a performance directive; it changes nothing here). Taken
        // and checked so that a kernel holding its register count to an
        // occupancy target still runs in the interpreter.
        if matches!(self.peek(), Some(Tok::Dot(word)) if word == "maxnreg") {
            self.at += 1;
            let n = self.number()?;
            if !(1..=255).contains(&n) {
                return self.error(format!("`.maxnreg {n}`: not 1 to 255 registers"));
            }
        }

        self.expect_punct('{')?;
        let mut regs: Vec<RegDecl> = Vec::new();
        let mut statements = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Punct('}')) => {
                    self.at += 1;
                    break;
                }
                Some(Tok::Dot(word)) if word == "reg" => {
                    self.at += 1;
                    self.reg_declaration(&mut regs)?;
                }
                Some(Tok::Dot(word)) => {
                    let word = word.clone();
                    return self.error(format!(
                        "directive `.{word}` inside an entry is outside the interpreter's subset"
                    ));
                }
                Some(Tok::Ident(label)) if self.peek2() == Some(&Tok::Punct(':')) => {
                    let label = label.clone();
                    let line = self.line();
                    self.at += 2;
                    statements.push(Statement::Label(label, line));
                }
                Some(_) => statements.push(Statement::Instr(self.instruction()?)),
                None => return self.error("unexpected end of the module inside an entry"),
            }
        }
        let entry = decode_entry(name, params, offset, regs, statements)?;
        check_definite_assignment(&entry)?;
        Ok(entry)
    }

    /// `.reg .type %a, %b<4>, ...;` (the `.reg` already taken).
    fn reg_declaration(&mut self, regs: &mut Vec<RegDecl>) -> Result<(), ParseError> {
        let ty = match self.next()? {
            Tok::Dot(word) => match Ty::parse(&word) {
                Ok(Some(ty)) if ty.is_pred() || ty.bits >= 16 => ty,
                Ok(Some(_)) => {
                    return self.error(format!(
                        "8-bit register type `.{word}` is outside the subset"
                    ))
                }
                Ok(None) => return self.error(format!("unknown register type `.{word}`")),
                Err(message) => return self.error(message),
            },
            other => return self.error(format!("expected a register type, found {other}")),
        };
        loop {
            let name = self.ident("a register name")?;
            if !name.starts_with('%') {
                return self.error(format!("register name `{name}` must start with `%`"));
            }
            if special_register(&name).is_some() {
                return self.error(format!("`{name}` is a special register"));
            }
            let mut names = vec![];
            if self.eat_punct('<') {
                let count = match self.next()? {
                    Tok::Num(text) => parse_int(&text).map_err(|m| ParseError {
                        line: self.line(),
                        message: m,
                    })?,
                    other => {
                        return self.error(format!("expected a register count, found {other}"))
                    }
                };
                self.expect_punct('>')?;
                if count == 0 || count > 4096 {
                    return self.error(format!("register range `{name}<{count}>` is out of range"));
                }
                names.extend((0..count).map(|i| format!("{name}{i}")));
            } else {
                names.push(name);
            }
            for name in names {
                if regs.iter().any(|r| r.name == name) {
                    return self.error(format!("register `{name}` is declared twice"));
                }
                regs.push(RegDecl { name, ty });
            }
            if self.eat_punct(';') {
                return Ok(());
            }
            self.expect_punct(',')?;
        }
    }

    fn instruction(&mut self) -> Result<RawInstr, ParseError> {
        let line = self.line();
        let guard = if self.eat_punct('@') {
            let negated = self.eat_punct('!');
            Some((self.ident("a guard predicate")?, negated))
        } else {
            None
        };
        let opcode = self.ident("an instruction")?;
        let mut mods = Vec::new();
        while let Some(Tok::Dot(word)) = self.peek() {
            mods.push(word.clone());
            self.at += 1;
        }
        let mut operands = Vec::new();
        if !self.eat_punct(';') {
            loop {
                operands.push(self.operand()?);
                if self.eat_punct(';') {
                    break;
                }
                self.expect_punct(',')?;
            }
        }
        Ok(RawInstr {
            guard,
            opcode,
            mods,
            operands,
            line,
            text: self.source_line(line),
        })
    }

    fn number(&mut self) -> Result<i128, ParseError> {
        let negative = self.eat_punct('-');
        match self.next()? {
            Tok::Num(text) => {
                let value = parse_int(&text).map_err(|message| ParseError {
                    line: self.line(),
                    message,
                })?;
                Ok(if negative {
                    -i128::from(value)
                } else {
                    i128::from(value)
                })
            }
            other => self.error(format!("expected a number, found {other}")),
        }
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        match self.peek().cloned() {
            Some(Tok::Punct('{')) => {
                self.at += 1;
                let mut items = vec![self.operand()?];
                while self.eat_punct(',') {
                    items.push(self.operand()?);
                }
                self.expect_punct('}')?;
                Ok(Operand::Vector(items))
            }
            Some(Tok::Punct('[')) => {
                self.at += 1;
                let base = self.ident("an address base (register or parameter)")?;
                let offset = if self.eat_punct('+') {
                    self.number()?
                } else {
                    0
                };
                self.expect_punct(']')?;
                Ok(Operand::Addr { base, offset })
            }
            Some(Tok::Punct('-')) | Some(Tok::Num(_)) => Ok(Operand::Imm(self.number()?)),
            Some(Tok::Ident(name)) => {
                self.at += 1;
                if name.starts_with('%') {
                    let component = match self.peek() {
                        Some(Tok::Dot(c)) => {
                            let c = c.clone();
                            self.at += 1;
                            Some(c)
                        }
                        _ => None,
                    };
                    if component.is_none() && self.eat_punct('|') {
                        let pred = self.ident("a predicate after `|`")?;
                        return Ok(Operand::Pair { value: name, pred });
                    }
                    Ok(Operand::Reg { name, component })
                } else {
                    Ok(Operand::Symbol(name))
                }
            }
            Some(other) => self.error(format!("expected an operand, found {other}")),
            None => self.error("unexpected end of the module in an operand list"),
        }
    }
}

/// The special register `name` (without a component), if it is one the
/// subset knows: `Some(true)` if it takes `.x/.y/.z`, `Some(false)` if not.
fn special_register(name: &str) -> Option<bool> {
    match name {
        "%tid" | "%ntid" | "%ctaid" | "%nctaid" => Some(true),
        "%laneid" => Some(false),
        _ => None,
    }
}

/// PTX's other special registers: named here so that using one is a clear
/// "outside the subset" instead of "undeclared register".
const OTHER_SPECIALS: &[&str] = &[
    "%warpid",
    "%nwarpid",
    "%smid",
    "%nsmid",
    "%gridid",
    "%clock",
    "%clock64",
    "%lanemask_eq",
    "%lanemask_le",
    "%lanemask_lt",
    "%lanemask_ge",
    "%lanemask_gt",
    "%globaltimer",
    "%dynamic_smem_size",
    "%total_smem_size",
    "%cluster_ctaid",
    "%clusterid",
];

/// What an instruction can see while it is decoded.
struct Scope<'a> {
    regs: &'a [RegDecl],
    by_name: HashMap<&'a str, Reg>,
    labels: HashMap<&'a str, usize>,
    params: &'a [Param],
    param_bytes: usize,
}

fn decode_entry(
    name: String,
    params: Vec<Param>,
    param_bytes: usize,
    regs: Vec<RegDecl>,
    statements: Vec<Statement>,
) -> Result<Entry, ParseError> {
    if regs.len() > usize::from(Reg::MAX) {
        return Err(ParseError {
            line: 0,
            message: format!("entry `{name}` declares too many registers"),
        });
    }
    let mut labels: Vec<(String, usize)> = Vec::new();
    let mut raw = Vec::new();
    for statement in statements {
        match statement {
            Statement::Label(label, line) => {
                if labels.iter().any(|(l, _)| *l == label) {
                    return Err(ParseError {
                        line,
                        message: format!("label `{label}` is defined twice"),
                    });
                }
                labels.push((label, raw.len()));
            }
            Statement::Instr(instr) => raw.push(instr),
        }
    }
    let scope = Scope {
        regs: &regs,
        by_name: regs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i as Reg))
            .collect(),
        labels: labels.iter().map(|(l, at)| (l.as_str(), *at)).collect(),
        params: &params,
        param_bytes,
    };
    let mut code = Vec::with_capacity(raw.len());
    for instr in &raw {
        let at = |message: String| ParseError {
            line: instr.line,
            message: format!("`{}`: {message}", instr.text),
        };
        let guard = match &instr.guard {
            None => None,
            Some((name, negated)) => {
                let (reg, ty) = scope.reg(name).map_err(at)?;
                if !ty.is_pred() {
                    return Err(at(format!("guard `{name}` is not a .pred register")));
                }
                Some(Guard {
                    reg,
                    negated: *negated,
                })
            }
        };
        let op = scope.decode(instr).map_err(at)?;
        code.push(Instr {
            guard,
            op,
            line: instr.line,
            text: instr.text.clone(),
        });
    }
    drop(scope);
    Ok(Entry {
        name,
        params,
        param_bytes,
        regs,
        code,
        labels,
    })
}

/// The modifiers of one instruction, taken left to right.
struct Mods<'a> {
    opcode: &'a str,
    words: &'a [String],
    at: usize,
}

impl Mods<'_> {
    fn take(&mut self, word: &str) -> bool {
        if self.words.get(self.at).is_some_and(|w| w == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn take_any(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let next = self.words.get(self.at)?;
        let found = words.iter().copied().find(|w| w == next)?;
        self.at += 1;
        Some(found)
    }

    /// The next modifier, which must be a type in `allowed`.
    fn ty(&mut self, allowed: &[&str]) -> Result<Ty, String> {
        let Some(word) = self.words.get(self.at) else {
            return Err(format!("`{}` needs a type modifier", self.opcode));
        };
        let ty = match Ty::parse(word)? {
            Some(ty) => ty,
            None => return Err(format!("unknown modifier `.{word}` on `{}`", self.opcode)),
        };
        if !allowed.contains(&word.as_str()) {
            return Err(format!("`{}` does not take type `.{word}`", self.opcode));
        }
        self.at += 1;
        Ok(ty)
    }

    fn done(&self) -> Result<(), String> {
        match self.words.get(self.at) {
            None => Ok(()),
            Some(word) => Err(format!("unknown modifier `.{word}` on `{}`", self.opcode)),
        }
    }
}

const B32: Ty = Ty {
    kind: Kind::Bit,
    bits: 32,
};
const INTS: &[&str] = &["u16", "u32", "u64", "s16", "s32", "s64"];
const BITS: &[&str] = &["b16", "b32", "b64"];
const ALL_16_64: &[&str] = &[
    "b16", "b32", "b64", "u16", "u32", "u64", "s16", "s32", "s64",
];
const MEMORY_TYPES: &[&str] = &[
    "b8", "b16", "b32", "b64", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
];
const CVT_TYPES: &[&str] = &["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"];
const WIDE_SOURCES: &[&str] = &["u16", "u32", "s16", "s32"];
const ROUNDING: &[&str] = &[
    "rn", "rz", "rm", "rp", "rna", "rs", "rni", "rzi", "rmi", "rpi", "ftz",
];

impl Scope<'_> {
    fn reg(&self, name: &str) -> Result<(Reg, Ty), String> {
        match self.by_name.get(name) {
            Some(&reg) => Ok((reg, self.regs[usize::from(reg)].ty)),
            None if special_register(name).is_some() => Err(format!(
                "special register `{name}` can only be read by `mov` in the subset"
            )),
            None if OTHER_SPECIALS.contains(&name) => Err(format!(
                "special register `{name}` is outside the interpreter's subset"
            )),
            None => Err(format!("register `{name}` is not declared")),
        }
    }

    /// A plain register operand.
    fn reg_operand(&self, operand: &Operand) -> Result<(Reg, Ty), String> {
        match operand {
            Operand::Reg {
                name,
                component: None,
            } => self.reg(name),
            // Only special registers have components here; `reg` says why
            // one cannot be used.
            Operand::Reg {
                name,
                component: Some(_),
            } => match self.reg(name) {
                Err(message) => Err(message),
                Ok(_) => Err(format!(
                    "{} : vector register components are outside the subset",
                    operand.describe()
                )),
            },
            other => Err(format!("expected a register, found {}", other.describe())),
        }
    }

    /// A destination (or register source) of exactly the type's size.
    fn reg_exact(&self, operand: &Operand, ty: Ty) -> Result<Reg, String> {
        let (reg, reg_ty) = self.reg_operand(operand)?;
        if reg_ty.is_pred() || reg_ty.bits != ty.bits {
            return Err(format!(
                "register {} is {reg_ty}, not compatible with instruction type {ty}",
                operand.describe()
            ));
        }
        Ok(reg)
    }

    /// A data register of `ld`, `st` or `cvt`: at least as wide as the type.
    fn reg_at_least(&self, operand: &Operand, ty: Ty) -> Result<(Reg, u32), String> {
        let (reg, reg_ty) = self.reg_operand(operand)?;
        if reg_ty.is_pred() || reg_ty.bits < ty.bits {
            return Err(format!(
                "register {} is {reg_ty}, narrower than instruction type {ty}",
                operand.describe()
            ));
        }
        Ok((reg, reg_ty.bits))
    }

    fn pred(&self, operand: &Operand) -> Result<Reg, String> {
        let (reg, ty) = self.reg_operand(operand)?;
        if !ty.is_pred() {
            return Err(format!(
                "{} is {ty}, a .pred register is required",
                operand.describe()
            ));
        }
        Ok(reg)
    }

    /// A source: a register of the type's size or an immediate that fits.
    fn src(&self, operand: &Operand, ty: Ty) -> Result<Src, String> {
        match operand {
            Operand::Imm(value) => Ok(Src::Imm(immediate(*value, ty)?)),
            other => Ok(Src::Reg(self.reg_exact(other, ty)?)),
        }
    }

    /// `[%reg]` or `[%reg+imm]` with a 64-bit address register.
    fn global_address(&self, operand: &Operand) -> Result<(Reg, i64), String> {
        let Operand::Addr { base, offset } = operand else {
            return Err(format!(
                "expected an address `[%reg+imm]`, found {}",
                operand.describe()
            ));
        };
        if !base.starts_with('%') {
            return Err(format!(
                "global address base `{base}` must be a register (no symbols in the subset)"
            ));
        }
        let (reg, ty) = self.reg(base)?;
        if ty.is_pred() || ty.bits != 64 {
            return Err(format!("address register {base} is {ty}, not 64 bits"));
        }
        let offset =
            i64::try_from(*offset).map_err(|_| format!("address offset {offset} is too large"))?;
        Ok((reg, offset))
    }

    fn data_registers(
        &self,
        operand: &Operand,
        count: usize,
        ty: Ty,
    ) -> Result<([Reg; 4], [u32; 4]), String> {
        let items: Vec<&Operand> = match operand {
            Operand::Vector(items) if count > 1 => items.iter().collect(),
            Operand::Vector(_) => return Err("a vector operand needs .v2 or .v4".into()),
            single if count == 1 => vec![single],
            other => {
                return Err(format!(
                    "expected a {count}-element vector, found {}",
                    other.describe()
                ))
            }
        };
        if items.len() != count {
            return Err(format!(
                "expected a {count}-element vector, found {} elements",
                items.len()
            ));
        }
        let mut regs = [0; 4];
        let mut bits = [0; 4];
        for (i, item) in items.into_iter().enumerate() {
            (regs[i], bits[i]) = self.reg_at_least(item, ty)?;
        }
        Ok((regs, bits))
    }

    fn operands<'o>(&self, instr: &'o RawInstr, count: usize) -> Result<&'o [Operand], String> {
        if instr.operands.len() != count {
            return Err(format!(
                "`{}` takes {count} operands, found {}",
                instr.opcode,
                instr.operands.len()
            ));
        }
        Ok(&instr.operands)
    }

    fn decode(&self, instr: &RawInstr) -> Result<Op, String> {
        let mut mods = Mods {
            opcode: &instr.opcode,
            words: &instr.mods,
            at: 0,
        };
        let op = match instr.opcode.as_str() {
            "ld" => self.decode_ld(instr, &mut mods)?,
            "st" => self.decode_st(instr, &mut mods)?,
            "mov" => {
                let ty = mods.ty(ALL_16_64)?;
                let ops = self.operands(instr, 2)?;
                let dst = self.reg_exact(&ops[0], ty)?;
                let src = match &ops[1] {
                    Operand::Reg { name, .. } if special_register(name).is_some() => {
                        if ty.bits != 32 {
                            return Err(format!(
                                "special register {} is .u32, not compatible with {ty}",
                                ops[1].describe()
                            ));
                        }
                        Src::Special(special(&ops[1])?)
                    }
                    other => self.src(other, ty)?,
                };
                Op::Mov { dst, src }
            }
            "cvta" => {
                if !(mods.take("to") && mods.take("global")) {
                    return Err("only `cvta.to.global.u64` is in the subset".into());
                }
                mods.ty(&["u64"])?;
                let ops = self.operands(instr, 2)?;
                Op::CvtaToGlobal {
                    dst: self.reg_exact(&ops[0], Ty::U64)?,
                    src: self.reg_exact(&ops[1], Ty::U64)?,
                }
            }
            "cvt" => {
                let sat = mods.take("sat");
                if let Some(mode) = mods.take_any(ROUNDING) {
                    return Err(format!(
                        "`.{mode}` is a floating-point modifier; integer-to-integer cvt takes none"
                    ));
                }
                let to = mods.ty(CVT_TYPES)?;
                let from = mods.ty(CVT_TYPES)?;
                let ops = self.operands(instr, 2)?;
                let (dst, dst_bits) = self.reg_at_least(&ops[0], to)?;
                let (src, _) = self.reg_at_least(&ops[1], from)?;
                Op::Cvt {
                    to,
                    from,
                    sat,
                    dst,
                    dst_bits,
                    src,
                }
            }
            "add" | "sub" | "min" | "max" => {
                let op = match instr.opcode.as_str() {
                    "add" => BinOp::Add,
                    "sub" => BinOp::Sub,
                    "min" => BinOp::Min,
                    _ => BinOp::Max,
                };
                self.binary(instr, op, mods.ty(INTS)?)?
            }
            "mul" => match mods.take_any(&["lo", "hi", "wide"]) {
                Some("lo") => self.binary(instr, BinOp::MulLo, mods.ty(INTS)?)?,
                Some("hi") => self.binary(instr, BinOp::MulHi, mods.ty(INTS)?)?,
                Some(_) => {
                    let ty = mods.ty(WIDE_SOURCES)?;
                    let ops = self.operands(instr, 3)?;
                    let wide = Ty {
                        kind: ty.kind,
                        bits: ty.bits * 2,
                    };
                    Op::MulWide {
                        ty,
                        dst: self.reg_exact(&ops[0], wide)?,
                        a: self.src(&ops[1], ty)?,
                        b: self.src(&ops[2], ty)?,
                    }
                }
                None => return Err("integer `mul` needs .lo, .hi or .wide".into()),
            },
            "and" | "or" | "xor" => {
                let op = match instr.opcode.as_str() {
                    "and" => BinOp::And,
                    "or" => BinOp::Or,
                    _ => BinOp::Xor,
                };
                self.binary(instr, op, mods.ty(BITS)?)?
            }
            "not" => {
                let ty = mods.ty(BITS)?;
                let ops = self.operands(instr, 2)?;
                Op::Not {
                    ty,
                    dst: self.reg_exact(&ops[0], ty)?,
                    a: self.src(&ops[1], ty)?,
                }
            }
            "shl" => self.binary(instr, BinOp::Shl, mods.ty(BITS)?)?,
            "shr" => self.binary(instr, BinOp::Shr, mods.ty(ALL_16_64)?)?,
            "setp" => {
                let cmp = match mods
                    .take_any(&["eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs"])
                {
                    Some("eq") => Cmp::Eq,
                    Some("ne") => Cmp::Ne,
                    Some("lt") => Cmp::Lt,
                    Some("le") => Cmp::Le,
                    Some("gt") => Cmp::Gt,
                    Some("ge") => Cmp::Ge,
                    Some("lo") => Cmp::Lo,
                    Some("ls") => Cmp::Ls,
                    Some("hi") => Cmp::Hi,
                    Some(_) => Cmp::Hs,
                    None => {
                        return Err(match instr.mods.first() {
                            Some(word) => format!(
                                "unknown comparison `.{word}` on `setp` (integer comparisons only)"
                            ),
                            None => "`setp` needs a comparison".into(),
                        })
                    }
                };
                let ty = mods.ty(ALL_16_64)?;
                if ty.kind == Kind::Bit && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(format!(
                        "`setp` on bit type {ty} takes only .eq and .ne (the ISA's rule)"
                    ));
                }
                if ty.kind == Kind::Signed && matches!(cmp, Cmp::Lo | Cmp::Ls | Cmp::Hi | Cmp::Hs) {
                    return Err(format!(
                        "unsigned comparison on signed type {ty} is not valid PTX"
                    ));
                }
                let ops = self.operands(instr, 3)?;
                Op::Setp {
                    cmp,
                    ty,
                    dst: self.pred(&ops[0])?,
                    a: self.src(&ops[1], ty)?,
                    b: self.src(&ops[2], ty)?,
                }
            }
            "selp" => {
                let ty = mods.ty(ALL_16_64)?;
                let ops = self.operands(instr, 4)?;
                Op::Selp {
                    dst: self.reg_exact(&ops[0], ty)?,
                    a: self.src(&ops[1], ty)?,
                    b: self.src(&ops[2], ty)?,
                    pred: self.pred(&ops[3])?,
                }
            }
            "bra" => {
                let ops = self.operands(instr, 1)?;
                let Operand::Symbol(label) = &ops[0] else {
                    return Err(format!("`bra` needs a label, found {}", ops[0].describe()));
                };
                match self.labels.get(label.as_str()) {
                    Some(&target) => Op::Bra { target },
                    None => return Err(format!("label `{label}` is not defined in this entry")),
                }
            }
            "ret" => {
                self.operands(instr, 0)?;
                Op::Ret
            }
            "div" | "rem" => {
                let op = if instr.opcode == "div" {
                    BinOp::Div
                } else {
                    BinOp::Rem
                };
                self.binary(instr, op, mods.ty(INTS)?)?
            }
            "brev" | "popc" | "clz" => {
                let ty = mods.ty(&["b32", "b64"])?;
                let (op, dst_ty) = match instr.opcode.as_str() {
                    "brev" => (UnOp::Brev, ty),
                    "popc" => (UnOp::Popc, Ty::U32),
                    _ => (UnOp::Clz, Ty::U32),
                };
                let ops = self.operands(instr, 2)?;
                Op::Unary {
                    op,
                    ty,
                    dst: self.reg_exact(&ops[0], dst_ty)?,
                    a: self.src(&ops[1], ty)?,
                }
            }
            "bfe" => {
                let ty = mods.ty(&["u32", "u64", "s32", "s64"])?;
                let ops = self.operands(instr, 4)?;
                Op::Bfe {
                    ty,
                    dst: self.reg_exact(&ops[0], ty)?,
                    a: self.src(&ops[1], ty)?,
                    b: self.src(&ops[2], Ty::U32)?,
                    c: self.src(&ops[3], Ty::U32)?,
                }
            }
            "prmt" => {
                let ty = mods.ty(&["b32"])?;
                let ops = self.operands(instr, 4)?;
                Op::Prmt {
                    dst: self.reg_exact(&ops[0], ty)?,
                    a: self.src(&ops[1], ty)?,
                    b: self.src(&ops[2], ty)?,
                    c: self.src(&ops[3], ty)?,
                }
            }
            "vote" => {
                if !mods.take("sync") {
                    return Err("`vote` needs `.sync` (the form without a member mask is \
                                deprecated and outside the subset)"
                        .into());
                }
                let mode = match mods.take_any(&["ballot", "any", "all"]) {
                    Some("ballot") => VoteMode::Ballot,
                    Some("any") => VoteMode::Any,
                    Some(_) => VoteMode::All,
                    None => {
                        return Err(match instr.mods.get(1) {
                            Some(word) => format!("unknown modifier `.{word}` on `vote`"),
                            None => "`vote.sync` needs .ballot, .any or .all".into(),
                        })
                    }
                };
                let ops = self.operands(instr, 3)?;
                let dst = if mode == VoteMode::Ballot {
                    let ty = mods.ty(&["b32"])?;
                    self.reg_exact(&ops[0], ty)?
                } else {
                    mods.ty(&["pred"])?;
                    self.pred(&ops[0])?
                };
                Op::Vote {
                    mode,
                    dst,
                    pred: self.pred(&ops[1])?,
                    mask: self.src(&ops[2], B32)?,
                }
            }
            "shfl" => {
                if !mods.take("sync") {
                    return Err("`shfl` needs `.sync` (the form without a member mask is \
                                deprecated and outside the subset)"
                        .into());
                }
                let mode = match mods.take_any(&["idx", "up", "down", "bfly"]) {
                    Some("idx") => ShflMode::Idx,
                    Some("up") => ShflMode::Up,
                    Some("down") => ShflMode::Down,
                    Some(_) => ShflMode::Bfly,
                    None => return Err("`shfl.sync` needs .idx, .up, .down or .bfly".into()),
                };
                let ty = mods.ty(&["b32"])?;
                let ops = self.operands(instr, 5)?;
                let (dst, dst_pred) = match &ops[0] {
                    Operand::Pair { value, pred } => {
                        let value = Operand::Reg {
                            name: value.clone(),
                            component: None,
                        };
                        let pred = Operand::Reg {
                            name: pred.clone(),
                            component: None,
                        };
                        (self.reg_exact(&value, ty)?, Some(self.pred(&pred)?))
                    }
                    other => (self.reg_exact(other, ty)?, None),
                };
                Op::Shfl {
                    mode,
                    dst,
                    dst_pred,
                    a: self.src(&ops[1], ty)?,
                    b: self.src(&ops[2], ty)?,
                    c: self.src(&ops[3], ty)?,
                    mask: self.src(&ops[4], ty)?,
                }
            }
            "activemask" => {
                let ty = mods.ty(&["b32"])?;
                let ops = self.operands(instr, 1)?;
                Op::Activemask {
                    dst: self.reg_exact(&ops[0], ty)?,
                }
            }
            other => {
                return Err(format!(
                    "instruction `{other}` is outside the interpreter's subset"
                ))
            }
        };
        mods.done()?;
        Ok(op)
    }

    /// `op.type d, a, b`: shifts take a `.u32` amount as `b`.
    fn binary(&self, instr: &RawInstr, op: BinOp, ty: Ty) -> Result<Op, String> {
        let ops = self.operands(instr, 3)?;
        let b_ty = if matches!(op, BinOp::Shl | BinOp::Shr) {
            Ty::U32
        } else {
            ty
        };
        Ok(Op::Bin {
            op,
            ty,
            dst: self.reg_exact(&ops[0], ty)?,
            a: self.src(&ops[1], ty)?,
            b: self.src(&ops[2], b_ty)?,
        })
    }

    fn decode_ld(&self, instr: &RawInstr, mods: &mut Mods<'_>) -> Result<Op, String> {
        let space = mods.take_any(&["param", "global"]);
        match space {
            Some("param") => {
                let ty = mods.ty(MEMORY_TYPES)?;
                let ops = self.operands(instr, 2)?;
                let (dst, dst_bits) = self.reg_at_least(&ops[0], ty)?;
                let Operand::Addr { base, offset } = &ops[1] else {
                    return Err(format!("expected `[param]`, found {}", ops[1].describe()));
                };
                let Some(param) = self.params.iter().find(|p| p.name == *base) else {
                    return Err(format!(
                        "`{base}` is not a parameter of this entry (ld.param reads parameters by name)"
                    ));
                };
                // The whole access must lie in the parameter block, at the
                // type's natural alignment: checked once, here.
                let start = i128::try_from(param.offset).unwrap_or(i128::MAX) + offset;
                let size = ty.bytes() as i128;
                if start < 0 || start + size > self.param_bytes as i128 {
                    return Err(format!(
                        "ld.param of {size} bytes at offset {start} is outside the {}-byte parameter block",
                        self.param_bytes
                    ));
                }
                if start % size != 0 {
                    return Err(format!(
                        "ld.param of {size} bytes at offset {start} is misaligned"
                    ));
                }
                Ok(Op::LdParam {
                    ty,
                    dst,
                    dst_bits,
                    offset: start as usize,
                })
            }
            Some(_) => {
                // A cache operator (`.ca`, `.cg`, `.cs`, `.lu`, `.cv`) is a
                // hint to the hardware's caches; one thread's view of memory
                // is the same with any of them, so it is accepted and dropped.
                mods.take_any(&["ca", "cg", "cs", "lu", "cv"]);
                let nc = mods.take("nc");
                let count = vector_count(mods);
                let ty = mods.ty(MEMORY_TYPES)?;
                check_vector_size(count, ty)?;
                let ops = self.operands(instr, 2)?;
                let (dst, dst_bits) = self.data_registers(&ops[0], count, ty)?;
                let (base, offset) = self.global_address(&ops[1])?;
                Ok(Op::LdGlobal {
                    nc,
                    ty,
                    count: count as u8,
                    dst,
                    dst_bits,
                    base,
                    offset,
                })
            }
            None => Err(match instr.mods.first() {
                Some(word) => format!(
                    "unknown modifier `.{word}` on `ld` (the subset needs .param or .global first)"
                ),
                None => "`ld` needs a state space".into(),
            }),
        }
    }

    fn decode_st(&self, instr: &RawInstr, mods: &mut Mods<'_>) -> Result<Op, String> {
        if !mods.take("global") {
            return Err(match instr.mods.first() {
                Some(word) => format!(
                    "unknown modifier `.{word}` on `st` (the subset stores to .global only)"
                ),
                None => "`st` needs a state space".into(),
            });
        }
        // A store's cache operator (`.wb`, `.cg`, `.cs`, `.wt`) only says
        // how long the line should stay cached: accepted and dropped.
        mods.take_any(&["wb", "cg", "cs", "wt"]);
        let count = vector_count(mods);
        let ty = mods.ty(MEMORY_TYPES)?;
        check_vector_size(count, ty)?;
        let ops = self.operands(instr, 2)?;
        let (base, offset) = self.global_address(&ops[0])?;
        let (src, _) = self.data_registers(&ops[1], count, ty)?;
        Ok(Op::StGlobal {
            ty,
            count: count as u8,
            src,
            base,
            offset,
        })
    }
}

fn vector_count(mods: &mut Mods<'_>) -> usize {
    match mods.take_any(&["v2", "v4"]) {
        Some("v2") => 2,
        Some(_) => 4,
        None => 1,
    }
}

fn check_vector_size(count: usize, ty: Ty) -> Result<(), String> {
    if count * ty.bytes() > 16 {
        Err(format!(
            ".v{count}{ty} is {} bytes; vector accesses are at most 16 bytes",
            count * ty.bytes()
        ))
    } else {
        Ok(())
    }
}

fn special(operand: &Operand) -> Result<Special, String> {
    let Operand::Reg { name, component } = operand else {
        unreachable!("special() is called on register operands");
    };
    let axis = match component.as_deref() {
        Some("x") => Some(Axis::X),
        Some("y") => Some(Axis::Y),
        Some("z") => Some(Axis::Z),
        Some(other) => return Err(format!("unknown component `.{other}` of {name}")),
        None => None,
    };
    let needs_axis = special_register(name) == Some(true);
    match (name.as_str(), axis) {
        ("%tid", Some(axis)) => Ok(Special::Tid(axis)),
        ("%ntid", Some(axis)) => Ok(Special::Ntid(axis)),
        ("%ctaid", Some(axis)) => Ok(Special::Ctaid(axis)),
        ("%nctaid", Some(axis)) => Ok(Special::Nctaid(axis)),
        ("%laneid", None) => Ok(Special::Laneid),
        _ if needs_axis => Err(format!("{name} needs a component .x, .y or .z")),
        _ => Err(format!("{name} has no components")),
    }
}

/// An immediate as a value of `ty`: it must fit either as an unsigned or as
/// a two's-complement number of the type's width; it is then truncated to
/// that width (so `-1` is all ones).
fn immediate(value: i128, ty: Ty) -> Result<u64, String> {
    let bits = ty.bits;
    let low = -(1i128 << (bits - 1));
    let high = (1i128 << bits) - 1;
    if value < low || value > high {
        return Err(format!("immediate {value} does not fit in {ty}"));
    }
    Ok((value as u64) & ty.mask())
}
