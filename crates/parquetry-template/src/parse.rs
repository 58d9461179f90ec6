//! Parsing Go `text/template` source into a tree: text, `{{ pipelines }}`, `if`/`else`,
//! `range`, `with`, variables, trim markers and comments.

use super::TemplateError;
use parquetry_model::go_string::decode_escape;

/// A node of a parsed template.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`: its value is printed unless it declares or assigns a variable.
    Action(Pipeline),
    /// `{{if}}`/`{{with}}` with their `else if`/`else with` chain and final `else`.
    Branch {
        /// `with` rebinds dot to the pipeline's value; `if` does not.
        with: bool,
        /// The condition and its body.
        cond: Pipeline,
        /// Taken when the condition holds.
        then: Vec<Node>,
        /// Taken otherwise.
        otherwise: Vec<Node>,
    },
    /// `{{range}}` over a list or map, with its `else` for an empty one.
    Range {
        /// The collection (with optional `$i, $e :=`).
        pipe: Pipeline,
        /// Run once per element.
        body: Vec<Node>,
        /// Run when there is no element.
        otherwise: Vec<Node>,
    },
    /// `{{break}}` inside a range.
    Break,
    /// `{{continue}}` inside a range.
    Continue,
}

/// `$x := cmd | cmd …`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Variables declared (`:=`) or assigned (`=`).
    pub vars: Vec<String>,
    /// True for `=` (assignment to existing variables).
    pub assign: bool,
    /// The commands; each one's result is the last argument of the next.
    pub commands: Vec<Vec<Arg>>,
}

/// An operand of a command.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `.A.B` (no names: dot itself).
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the root data).
    Var(String, Vec<String>),
    /// A function name.
    Func(String),
    /// A string constant.
    Str(String),
    /// An integer constant.
    Int(i64),
    /// A float constant.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `(pipeline).A.B`.
    Pipe(Box<Pipeline>, Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Char(i64),
    Open,
    Close,
    Pipe,
    Declare,
    Assign,
    Comma,
}

/// One `{{ … }}` with its tokens, or a text run.
enum Piece {
    Text(String),
    Action { tokens: Vec<Tok>, line: usize },
}

fn err(line: usize, msg: impl std::fmt::Display) -> TemplateError {
    TemplateError::Parse(format!("{line}: {msg}"))
}

fn split_pieces(src: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = src;
    let mut line = 1;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        let mut inner_start = open + 2;
        if rest[inner_start..].starts_with("- ") || rest[inner_start..].starts_with("-\t") {
            text = text.trim_end();
            inner_start += 1;
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_string()));
        }
        line += rest[..inner_start].matches('\n').count();
        let after = &rest[inner_start..];
        let trimmed = after.trim_start();
        let (inner, close_len, consumed) = if trimmed.starts_with("/*") {
            let end = after.find("*/").ok_or_else(|| err(line, "unclosed comment"))?;
            let tail = &after[end + 2..];
            let ws = tail.len() - tail.trim_start().len();
            let close = if tail.trim_start().starts_with("-}}") {
                ws + 3
            } else if tail.starts_with("}}") {
                2
            } else {
                return Err(err(line, "comment ends before closing delimiter"));
            };
            ("", close, end + 2)
        } else {
            let end = find_close(after).ok_or_else(|| err(line, "unclosed action"))?;
            (&after[..end], 2, end)
        };
        let mut right_trim = false;
        let mut inner = inner;
        if close_len > 2 || inner.ends_with(" -") || inner.ends_with("\t-") {
            right_trim = true;
            inner = inner.strip_suffix('-').unwrap_or(inner);
        }
        if !trimmed.starts_with("/*") {
            pieces.push(Piece::Action {
                tokens: lex(inner, line)?,
                line,
            });
        }
        line += after[..consumed + close_len].matches('\n').count();
        rest = &after[consumed + close_len..];
        if right_trim {
            rest = rest.trim_start();
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Ok(pieces)
}

/// Index of the `}}` that closes an action, skipping quoted strings.
fn find_close(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn field_chain(s: &str, mut i: usize) -> (Vec<String>, usize) {
    let b = s.as_bytes();
    let mut names = Vec::new();
    while i < b.len() && b[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < b.len() && ident_char(s[j..].chars().next().unwrap_or(' ')) {
            j += s[j..].chars().next().map_or(1, char::len_utf8);
        }
        if j == start {
            break;
        }
        names.push(s[start..j].to_string());
        i = j;
    }
    (names, i)
}

fn unquote(body: &str, line: usize) -> Result<String, TemplateError> {
    let mut out = Vec::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            decode_escape(&mut chars, '"', &mut out).map_err(|e| err(line, e))?;
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    String::from_utf8(out).map_err(|_| err(line, "string is not valid UTF-8"))
}

fn lex(s: &str, line: usize) -> Result<Vec<Tok>, TemplateError> {
    let mut toks = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        match c {
            c if c.is_whitespace() => i += c.len_utf8(),
            '(' => {
                toks.push(Tok::Open);
                i += 1;
            }
            ')' => {
                let (names, j) = field_chain(s, i + 1);
                toks.push(Tok::Close);
                if !names.is_empty() {
                    toks.push(Tok::Field(names));
                }
                i = j;
            }
            '|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            ':' if b.get(i + 1) == Some(&b'=') => {
                toks.push(Tok::Declare);
                i += 2;
            }
            '=' => {
                toks.push(Tok::Assign);
                i += 1;
            }
            '.' if b.get(i + 1).is_none_or(|n| !n.is_ascii_digit()) => {
                let (names, j) = field_chain(s, i);
                toks.push(Tok::Field(names));
                i = if j == i { i + 1 } else { j };
            }
            '$' => {
                let mut j = i + 1;
                while j < b.len() && ident_char(s[j..].chars().next().unwrap_or(' ')) {
                    j += s[j..].chars().next().map_or(1, char::len_utf8);
                }
                let name = s[i..j].to_string();
                let (names, k) = field_chain(s, j);
                toks.push(Tok::Var(name, names));
                i = k;
            }
            '"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(err(line, "unterminated quoted string"));
                }
                toks.push(Tok::Str(unquote(&s[i + 1..j], line)?));
                i = j + 1;
            }
            '`' => {
                let end = s[i + 1..]
                    .find('`')
                    .ok_or_else(|| err(line, "unterminated raw quoted string"))?;
                toks.push(Tok::Str(s[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            '\'' => {
                let end = s[i + 1..]
                    .find('\'')
                    .ok_or_else(|| err(line, "unterminated character constant"))?;
                let text = unquote(&s[i + 1..i + 1 + end], line)?;
                let ch = text
                    .chars()
                    .next()
                    .ok_or_else(|| err(line, "empty character constant"))?;
                toks.push(Tok::Char(ch as i64));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_') {
                    if (b[j] == b'e' || b[j] == b'E') && matches!(b.get(j + 1), Some(b'-' | b'+')) {
                        j += 1;
                    }
                    j += 1;
                }
                let text = s[i..j].replace('_', "");
                let hex = text.trim_start_matches(['-', '+']);
                let neg = text.starts_with('-');
                if let Some(h) = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X")) {
                    let v = i64::from_str_radix(h, 16)
                        .map_err(|_| err(line, format!("bad number syntax: {text:?}")))?;
                    toks.push(Tok::Int(if neg { -v } else { v }));
                } else if let Ok(v) = text.parse::<i64>() {
                    toks.push(Tok::Int(v));
                } else if let Ok(v) = text.parse::<f64>() {
                    toks.push(Tok::Float(v));
                } else {
                    return Err(err(line, format!("bad number syntax: {text:?}")));
                }
                i = j;
            }
            c if ident_char(c) => {
                let mut j = i;
                while j < b.len() && ident_char(s[j..].chars().next().unwrap_or(' ')) {
                    j += s[j..].chars().next().map_or(1, char::len_utf8);
                }
                toks.push(Tok::Ident(s[i..j].to_string()));
                i = j;
            }
            other => return Err(err(line, format!("unexpected {other:?} in command"))),
        }
    }
    Ok(toks)
}

/// Parses the pieces into nodes until one of `stops` (a keyword action) is reached.
struct Parser {
    pieces: std::vec::IntoIter<Piece>,
    range_depth: usize,
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End,
    Else(Vec<Tok>, usize),
}

impl Parser {
    fn list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(piece) = self.pieces.next() {
            let (tokens, line) = match piece {
                Piece::Text(t) => {
                    nodes.push(Node::Text(t));
                    continue;
                }
                Piece::Action { tokens, line } => (tokens, line),
            };
            let keyword = match tokens.first() {
                Some(Tok::Ident(k)) => k.as_str(),
                _ => "",
            };
            match keyword {
                "end" if tokens.len() == 1 => return Ok((nodes, Stop::End)),
                "else" => return Ok((nodes, Stop::Else(tokens[1..].to_vec(), line))),
                "if" | "with" => nodes.push(self.branch(keyword == "with", &tokens[1..], line)?),
                "range" => {
                    let pipe = pipeline(&tokens[1..], line, true)?;
                    self.range_depth += 1;
                    let (body, end) = self.list()?;
                    let otherwise = match end {
                        Stop::End => Vec::new(),
                        Stop::Else(rest, l) if rest.is_empty() => self.expect_end(l)?,
                        Stop::Else(_, l) => return Err(err(l, "unexpected token after else in range")),
                        Stop::Eof => return Err(err(line, "unexpected EOF in range")),
                    };
                    self.range_depth -= 1;
                    nodes.push(Node::Range {
                        pipe,
                        body,
                        otherwise,
                    });
                }
                "break" | "continue" if tokens.len() == 1 => {
                    if self.range_depth == 0 {
                        return Err(err(line, format!("{{{{{keyword}}}}} outside {{{{range}}}}")));
                    }
                    nodes.push(if keyword == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                "define" | "template" | "block" => {
                    return Err(err(
                        line,
                        format!("{{{{{keyword}}}}} is not supported in rule templates"),
                    ));
                }
                "end" => return Err(err(line, "unexpected token after end")),
                _ if tokens.is_empty() => return Err(err(line, "missing value for command")),
                _ => nodes.push(Node::Action(pipeline(&tokens, line, false)?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn expect_end(&mut self, line: usize) -> Result<Vec<Node>, TemplateError> {
        match self.list()? {
            (nodes, Stop::End) => Ok(nodes),
            (_, Stop::Else(_, l)) => Err(err(l, "expected end; found else")),
            (_, Stop::Eof) => Err(err(line, "unexpected EOF")),
        }
    }

    fn branch(&mut self, with: bool, cond: &[Tok], line: usize) -> Result<Node, TemplateError> {
        let cond = pipeline(cond, line, false)?;
        let (then, end) = self.list()?;
        let otherwise = match end {
            Stop::End => Vec::new(),
            Stop::Eof => return Err(err(line, "unexpected EOF")),
            Stop::Else(rest, l) if rest.is_empty() => self.expect_end(l)?,
            Stop::Else(rest, l) => match rest.first() {
                Some(Tok::Ident(k)) if k == "if" || k == "with" => {
                    // `else if` / `else with` share the chain's single `end`.
                    vec![self.branch(k == "with", &rest[1..], l)?]
                }
                _ => return Err(err(l, "unexpected token after else")),
            },
        };
        Ok(Node::Branch {
            with,
            cond,
            then,
            otherwise,
        })
    }
}

fn pipeline(tokens: &[Tok], line: usize, range: bool) -> Result<Pipeline, TemplateError> {
    let mut vars = Vec::new();
    let mut assign = false;
    let mut rest = tokens;
    // `$x :=`, `$x =`, or in a range `$i, $e :=`.
    let decl_end = tokens
        .iter()
        .position(|t| matches!(t, Tok::Declare | Tok::Assign));
    if let Some(end) = decl_end {
        let names = &tokens[..end];
        let mut ok = !names.is_empty();
        for (k, t) in names.iter().enumerate() {
            match t {
                Tok::Var(v, f) if f.is_empty() && k % 2 == 0 => vars.push(v.clone()),
                Tok::Comma if k % 2 == 1 && range => {}
                _ => ok = false,
            }
        }
        if ok && vars.len() <= if range { 2 } else { 1 } {
            assign = matches!(tokens[end], Tok::Assign);
            rest = &tokens[end + 1..];
        } else {
            vars.clear();
        }
    }
    let mut commands = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let (arg, next) = operand(rest, i, line)?;
        if let Some(arg) = arg {
            current.push(arg);
            i = next;
            continue;
        }
        match &rest[i] {
            Tok::Pipe => {
                if current.is_empty() {
                    return Err(err(line, "missing command before |"));
                }
                commands.push(std::mem::take(&mut current));
            }
            other => return Err(err(line, format!("unexpected {other:?} in command"))),
        }
        i += 1;
    }
    if current.is_empty() {
        return Err(err(line, "missing value for command"));
    }
    commands.push(current);
    Ok(Pipeline {
        vars,
        assign,
        commands,
    })
}

/// The operand starting at `i`, if a token there starts one.
fn operand(toks: &[Tok], i: usize, line: usize) -> Result<(Option<Arg>, usize), TemplateError> {
    let arg = match &toks[i] {
        Tok::Field(f) => Arg::Field(f.clone()),
        Tok::Var(v, f) => Arg::Var(v.clone(), f.clone()),
        Tok::Str(s) => Arg::Str(s.clone()),
        Tok::Int(n) | Tok::Char(n) => Arg::Int(*n),
        Tok::Float(f) => Arg::Float(*f),
        Tok::Ident(k) if k == "true" || k == "false" => Arg::Bool(k == "true"),
        Tok::Ident(k) if k == "nil" => Arg::Nil,
        Tok::Ident(k) => Arg::Func(k.clone()),
        Tok::Open => {
            let mut depth = 0;
            let mut j = i;
            loop {
                match toks.get(j) {
                    Some(Tok::Open) => depth += 1,
                    Some(Tok::Close) => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => return Err(err(line, "unclosed left paren")),
                }
                j += 1;
            }
            let inner = pipeline(&toks[i + 1..j], line, false)?;
            let (fields, next) = match toks.get(j + 1) {
                Some(Tok::Field(f)) => (f.clone(), j + 2),
                _ => (Vec::new(), j + 1),
            };
            return Ok((Some(Arg::Pipe(Box::new(inner), fields)), next));
        }
        Tok::Close => return Err(err(line, "unexpected right paren")),
        _ => return Ok((None, i)),
    };
    Ok((Some(arg), i + 1))
}

/// Parses template source into nodes.
pub fn parse(src: &str) -> Result<Vec<Node>, TemplateError> {
    let mut parser = Parser {
        pieces: split_pieces(src)?.into_iter(),
        range_depth: 0,
    };
    match parser.list()? {
        (nodes, Stop::Eof) => Ok(nodes),
        (_, Stop::End) => Err(err(1, "unexpected {{end}}")),
        (_, Stop::Else(_, l)) => Err(err(l, "unexpected {{else}}")),
    }
}
