//! A YAML document as a tree whose every node remembers the file, line and column it came from.
//!
//! serde-style deserializers stop at the first error and forget positions once a value is
//! built. relman's config validation wants the opposite: report every problem in one pass,
//! each pointing at the right line of the right file — also after `_extends` has merged two
//! files into one tree. So the YAML is parsed into this positioned tree first and decoded from
//! it by hand (see `decode.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::ConfigError;

/// Where a node starts: the file it was read from and its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn from_span(file: &Arc<str>, span: &Span) -> Self {
        Location {
            file: Arc::clone(file),
            line: span.start.line(),
            // saphyr columns are 0-based; editors and compilers count from 1.
            column: span.start.col() + 1,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub at: Location,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// A scalar keeps its source text; its type is resolved on demand, so a field that wants a
/// string can accept `1234` (a numeric-looking GitHub login) while an integer field still
/// rejects `"2"`.
#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub text: String,
    /// Plain (unquoted, non-block) scalars are the only ones the YAML 1.2 core schema resolves
    /// to null, booleans and numbers.
    pub plain: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_at: Location,
    pub value: Node,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Float,
    Str,
}

impl Scalar {
    pub fn resolve(&self) -> Resolved {
        if !self.plain {
            return Resolved::Str;
        }
        let text = self.text.as_str();
        match text {
            "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
            "true" | "True" | "TRUE" => return Resolved::Bool(true),
            "false" | "False" | "FALSE" => return Resolved::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf"
            | "-.INF" | ".nan" | ".NaN" | ".NAN" => return Resolved::Float,
            _ => {}
        }
        if let Some(int) = parse_core_int(text) {
            return Resolved::Int(int);
        }
        if is_core_float(text) {
            return Resolved::Float;
        }
        Resolved::Str
    }
}

fn parse_core_int(text: &str) -> Option<i64> {
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_core_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(frac) => {
            all_digits(int_part) && all_digits(frac) && !(int_part.is_empty() && frac.is_empty())
        }
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

impl Node {
    /// An English description of the node's type for "must be X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
            Value::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => "nothing (null)",
                Resolved::Bool(_) => "a boolean",
                Resolved::Int(_) => "an integer",
                Resolved::Float => "a number",
                Resolved::Str => "a string",
            },
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.resolve() == Resolved::Null)
    }
}

/// The result of reading one file: its root node (None for an empty file) and the problems
/// that do not stop parsing (duplicate keys), reported together with validation errors later.
pub(crate) struct ParsedYaml {
    pub root: Option<Node>,
    pub problems: Vec<ConfigError>,
}

/// Parses `text` (named `file` in errors). A syntax error ends parsing: after one, the parser
/// cannot tell where the following nodes really are.
pub(crate) fn parse(file: &str, text: &str) -> Result<ParsedYaml, ConfigError> {
    let file: Arc<str> = Arc::from(file);
    let mut builder = TreeBuilder {
        file: Arc::clone(&file),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        problems: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| syntax_error(&file, &error))?;
        builder.event(event, span)?;
    }
    Ok(ParsedYaml {
        root: builder.root,
        problems: builder.problems,
    })
}

fn syntax_error(file: &Arc<str>, error: &ScanError) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        line: error.marker().line(),
        column: error.marker().col() + 1,
        message: format!("invalid YAML: {}", error.info()),
        hint: Some("check the indentation and quoting around this position".to_owned()),
    }
}

enum Frame {
    Sequence {
        at: Location,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        at: Location,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Location)>,
    },
}

struct TreeBuilder {
    file: Arc<str>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    problems: Vec<ConfigError>,
}

impl TreeBuilder {
    fn error(&self, at: &Location, message: impl Into<String>, hint: Option<&str>) -> ConfigError {
        ConfigError {
            file: at.file.to_string(),
            line: at.line,
            column: at.column,
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ConfigError> {
        let at = Location::from_span(&self.file, &span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self.error(
                        &at,
                        "a second YAML document (`---`) is not allowed here",
                        Some("keep the whole configuration in one document"),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node {
                    at,
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    }),
                };
                self.finish_node(node, anchor)?;
            }
            Event::Alias(anchor) => {
                let Some(target) = self.anchors.get(&anchor) else {
                    return Err(self.error(&at, "alias to an unknown anchor", None));
                };
                // The alias is reported where it is used, so errors inside it point at the alias.
                let node = Node {
                    at,
                    value: target.value.clone(),
                };
                self.finish_node(node, 0)?;
            }
            Event::SequenceStart(anchor, _tag) => {
                self.stack.push(Frame::Sequence {
                    at,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _tag) => {
                self.stack.push(Frame::Mapping {
                    at,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Sequence { at, anchor, items }) => (
                        Node {
                            at,
                            value: Value::Sequence(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Mapping {
                        at,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            at,
                            value: Value::Mapping(entries),
                        },
                        anchor,
                    ),
                    None => return Err(self.error(&at, "unbalanced YAML collection end", None)),
                };
                self.finish_node(node, anchor)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), ConfigError> {
        // saphyr numbers anchors from 1; 0 means "no anchor".
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match parent {
            Frame::Sequence { items, .. } => items.push(node),
            Frame::Mapping {
                entries,
                pending_key,
                ..
            } => match pending_key.take() {
                Some((key, key_at)) => {
                    if let Some(first) = entries.iter().find(|entry| entry.key == key) {
                        let hint = format!("it is already set on line {}", first.key_at.line);
                        let problem = ConfigError {
                            file: key_at.file.to_string(),
                            line: key_at.line,
                            column: key_at.column,
                            message: format!("duplicate key `{key}`"),
                            hint: Some(hint),
                        };
                        self.problems.push(problem);
                    } else {
                        entries.push(Entry {
                            key,
                            key_at,
                            value: node,
                        });
                    }
                }
                None => match node.value {
                    Value::Scalar(scalar) => *pending_key = Some((scalar.text, node.at)),
                    Value::Sequence(_) | Value::Mapping(_) => {
                        return Err(self.error(
                            &node.at,
                            "a mapping key must be a plain value, not a list or a mapping",
                            None,
                        ));
                    }
                },
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse("t.yml", text).unwrap().root.unwrap()
    }

    #[test]
    fn positions_are_one_based() {
        let node = root("a:\n  b: [1, 2]\n");
        let Value::Mapping(entries) = &node.value else {
            panic!("not a mapping")
        };
        let Value::Mapping(inner) = &entries[0].value.value else {
            panic!("not a mapping")
        };
        assert_eq!((inner[0].key_at.line, inner[0].key_at.column), (2, 3));
        assert_eq!((inner[0].value.at.line, inner[0].value.at.column), (2, 6));
    }

    #[test]
    fn core_schema_resolution() {
        let scalar = |text: &str, plain| Scalar {
            text: text.to_owned(),
            plain,
        };
        assert_eq!(scalar("2", true).resolve(), Resolved::Int(2));
        assert_eq!(scalar("2", false).resolve(), Resolved::Str);
        assert_eq!(scalar("0x1f", true).resolve(), Resolved::Int(31));
        assert_eq!(scalar("~", true).resolve(), Resolved::Null);
        assert_eq!(scalar("yes", true).resolve(), Resolved::Str);
        assert_eq!(scalar("1.5e3", true).resolve(), Resolved::Float);
        assert_eq!(scalar("2026-01-06", true).resolve(), Resolved::Str);
        assert_eq!(scalar(".", true).resolve(), Resolved::Str);
    }

    #[test]
    fn duplicate_keys_are_reported_not_fatal() {
        let parsed = parse("t.yml", "a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(
            parsed.problems[0].to_string(),
            "t.yml:3:1: duplicate key `a` (it is already set on line 1)"
        );
    }

    #[test]
    fn aliases_are_expanded() {
        let node = root("x: &m [alice, bob]\ny: *m\n");
        let Value::Mapping(entries) = &node.value else {
            panic!("not a mapping")
        };
        assert!(matches!(&entries[1].value.value, Value::Sequence(items) if items.len() == 2));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let error = parse("t.yml", "a: [1, 2\nb: 3\n").err().unwrap();
        assert_eq!(error.file, "t.yml");
        assert!(error.message.starts_with("invalid YAML"), "{error}");
    }
}
