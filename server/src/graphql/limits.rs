//! The limits on one GraphQL request's shape (SPEC §5, issue 17), checked
//! before the schema validates it: by `http::graphql` for `POST /graphql`,
//! and by the socket schema's extension (`graphql::socket`) for a
//! subscription on `/graphql/ws`. The schema adds its own: depth
//! (12) and complexity (500, `graphql/mod.rs`), and `first` ≤ 100 on every
//! page. The body as a whole is capped at 256 KiB (`http/mod.rs`).
//!
//! The document's text is measured before it is parsed (bytes, then tokens,
//! so a parser never walks a hostile document); its aliases, directives and
//! literal lists once it is parsed; the variables by their JSON size and
//! their lists. A document over a limit is `GRAPHQL_VALIDATION_FAILED`,
//! variables over one `BAD_USER_INPUT` ([`OverLimit::code`]; over HTTP
//! with status 400, on the socket in its `error` message). A string with
//! a NUL character, in the document or the variables, is `BAD_USER_INPUT`
//! (found by the fuzzer: Postgres refuses it as an internal error).

use async_graphql::Variables;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, Selection, SelectionSet, VariableDefinition,
};
use async_graphql::parser::{Positioned, types::FragmentDefinition};
use async_graphql_value::{ConstValue, Value};

/// The longest document text, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024;
/// The most lexical tokens (names, punctuators, values) in a document.
pub const MAX_TOKENS: usize = 3_000;
/// The most aliased fields in a document.
pub const MAX_ALIASES: usize = 50;
/// The most directives (`@include`, `@skip`, …) in a document.
pub const MAX_DIRECTIVES: usize = 50;
/// The largest variables object, as JSON, in bytes.
pub const MAX_VARIABLES_BYTES: usize = 64 * 1024;
/// The most items in any one list, literal or in the variables.
pub const MAX_LIST_ITEMS: usize = 1_000;

/// Text with U+0000 is refused everywhere: Postgres cannot store it, and
/// no name, address or secret holds one.
pub const NUL_REFUSED: &str = crate::error::NUL_REFUSED;

/// A request over a limit: what to tell the client, and whether the
/// document (rather than the variables) is at fault.
#[derive(Debug, PartialEq, Eq)]
pub struct OverLimit {
    pub message: String,
    pub in_document: bool,
}

fn document(message: String) -> OverLimit {
    OverLimit {
        message,
        in_document: true,
    }
}

impl OverLimit {
    /// `GRAPHQL_VALIDATION_FAILED` for the document, `BAD_USER_INPUT` for
    /// the input.
    pub fn code(&self) -> &'static str {
        if self.in_document {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        }
    }
}

/// Input over a limit: `BAD_USER_INPUT`.
fn input(message: String) -> OverLimit {
    OverLimit {
        message,
        in_document: false,
    }
}

/// The text of the document: its size, then its tokens.
pub fn check_text(query: &str) -> Result<(), OverLimit> {
    if query.len() > MAX_DOCUMENT_BYTES {
        return Err(document(format!(
            "The document is {} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
            query.len()
        )));
    }
    if count_tokens(query, MAX_TOKENS) > MAX_TOKENS {
        return Err(document(format!(
            "The document has more than {MAX_TOKENS} tokens"
        )));
    }
    Ok(())
}

/// The variables: their size as JSON and their lists.
pub fn check_variables(variables: &Variables) -> Result<(), OverLimit> {
    let size = serde_json::to_vec(variables).map(|v| v.len()).unwrap_or(0);
    if size > MAX_VARIABLES_BYTES {
        return Err(input(format!(
            "The variables are {size} bytes; at most {MAX_VARIABLES_BYTES} are accepted"
        )));
    }
    for (name, value) in variables.iter() {
        let scan = scan_const(value);
        if scan.nul {
            return Err(input(NUL_REFUSED.into()));
        }
        if scan.longest_list > MAX_LIST_ITEMS {
            return Err(input(format!(
                "Variable \"${name}\" holds a list of more than {MAX_LIST_ITEMS} items"
            )));
        }
    }
    Ok(())
}

/// The parsed document: aliases, directives, literal lists.
pub fn check_document(doc: &ExecutableDocument) -> Result<(), OverLimit> {
    let mut count = Count::default();
    for (_, op) in doc.operations.iter() {
        count.directives(&op.node.directives);
        for var in &op.node.variable_definitions {
            count.variable(var);
        }
        count.selection_set(&op.node.selection_set.node);
    }
    for fragment in doc.fragments.values() {
        count.fragment(fragment);
    }
    if count.aliases > MAX_ALIASES {
        return Err(document(format!(
            "The document has {} aliases; at most {MAX_ALIASES} are accepted",
            count.aliases
        )));
    }
    if count.directives > MAX_DIRECTIVES {
        return Err(document(format!(
            "The document has {} directives; at most {MAX_DIRECTIVES} are accepted",
            count.directives
        )));
    }
    if count.nul {
        return Err(input(NUL_REFUSED.into()));
    }
    if count.longest_list > MAX_LIST_ITEMS {
        return Err(document(format!(
            "The document holds a list of {} items; at most {MAX_LIST_ITEMS} are accepted",
            count.longest_list
        )));
    }
    Ok(())
}

/// What the walk over a document counts. Every selection set is walked once
/// where it is written (fragments once, not at each spread), so the walk is
/// linear in the document's size.
#[derive(Default)]
struct Count {
    aliases: usize,
    directives: usize,
    longest_list: usize,
    nul: bool,
}

impl Count {
    fn directives(&mut self, list: &[Positioned<Directive>]) {
        self.directives += list.len();
        for directive in list {
            for (_, value) in &directive.node.arguments {
                self.value(&value.node);
            }
        }
    }

    fn variable(&mut self, var: &Positioned<VariableDefinition>) {
        self.directives(&var.node.directives);
        if let Some(default) = &var.node.default_value {
            let scan = scan_const(&default.node);
            self.longest_list = self.longest_list.max(scan.longest_list);
            self.nul |= scan.nul;
        }
    }

    fn fragment(&mut self, fragment: &Positioned<FragmentDefinition>) {
        self.directives(&fragment.node.directives);
        self.selection_set(&fragment.node.selection_set.node);
    }

    fn selection_set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => self.field(&field.node),
                Selection::FragmentSpread(spread) => self.directives(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives);
                    self.selection_set(&inline.node.selection_set.node);
                }
            }
        }
    }

    fn field(&mut self, field: &Field) {
        if field.alias.is_some() {
            self.aliases += 1;
        }
        self.directives(&field.directives);
        for (_, value) in &field.arguments {
            self.value(&value.node);
        }
        self.selection_set(&field.selection_set.node);
    }

    fn value(&mut self, value: &Value) {
        let scan = scan_value(value);
        self.longest_list = self.longest_list.max(scan.longest_list);
        self.nul |= scan.nul;
    }
}

/// What a walk over a value finds: its longest list, at any depth, and
/// whether any string holds a NUL character.
#[derive(Default, Clone, Copy)]
struct Scan {
    longest_list: usize,
    nul: bool,
}

impl Scan {
    fn add(&mut self, other: Scan) {
        self.longest_list = self.longest_list.max(other.longest_list);
        self.nul |= other.nul;
    }
}

fn scan_value(value: &Value) -> Scan {
    let mut scan = Scan::default();
    match value {
        Value::List(items) => {
            scan.longest_list = items.len();
            items.iter().for_each(|v| scan.add(scan_value(v)));
        }
        Value::Object(fields) => fields.values().for_each(|v| scan.add(scan_value(v))),
        Value::String(text) => scan.nul = text.contains('\0'),
        _ => {}
    }
    scan
}

/// The same for a variable's value.
fn scan_const(value: &ConstValue) -> Scan {
    let mut scan = Scan::default();
    match value {
        ConstValue::List(items) => {
            scan.longest_list = items.len();
            items.iter().for_each(|v| scan.add(scan_const(v)));
        }
        ConstValue::Object(fields) => fields.iter().for_each(|(k, v)| {
            scan.nul |= k.contains('\0');
            scan.add(scan_const(v));
        }),
        ConstValue::String(text) => scan.nul = text.contains('\0'),
        _ => {}
    }
    scan
}

/// Counts the GraphQL tokens of `text` (names, numbers, strings,
/// punctuators; whitespace, commas and comments are not tokens), stopping
/// once past `stop`. Anything a GraphQL lexer would refuse counts as a
/// token too: the parser reports it.
pub fn count_tokens(text: &str, stop: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    while i < bytes.len() && tokens <= stop {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            // A BOM is ignored, like whitespace.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                i += 3;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parsed(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    #[test]
    fn tokens_are_counted_as_a_lexer_sees_them() {
        assert_eq!(count_tokens("", 100), 0);
        assert_eq!(count_tokens("{ viewer { id } }", 100), 6);
        // Commas, comments and whitespace are not tokens.
        assert_eq!(count_tokens("{ a, b ,c } # d e f\n", 100), 5);
        // Strings, block strings with quotes inside, numbers, spreads.
        assert_eq!(
            count_tokens(
                r#"{ f(a: "x \" y", b: """ "" \""" """, c: -1.5e+3) { ...F } }"#,
                100
            ),
            18
        );
        // Counting stops past the limit.
        assert_eq!(count_tokens(&"a ".repeat(10_000), 10), 11);
    }

    #[test]
    fn aliases_directives_and_lists_are_counted_where_written() {
        let aliases: String = (0..=MAX_ALIASES)
            .map(|i| format!("a{i}: viewer {{ id }} "))
            .collect();
        let over = check_document(&parsed(&format!("{{ {aliases} }}")));
        assert!(over.is_err_and(|e| e.in_document && e.message.contains("51 aliases")));
        let fifty: String = (0..MAX_ALIASES)
            .map(|i| format!("a{i}: viewer {{ id }} "))
            .collect();
        assert_eq!(check_document(&parsed(&format!("{{ {fifty} }}"))), Ok(()));
        // Inside fragments too, and directives on any node.
        let directives = "@include(if: true) ".repeat(MAX_DIRECTIVES + 1);
        let q = format!("{{ ...F }} fragment F on QueryRoot {{ viewer {directives} {{ id }} }}");
        assert!(check_document(&parsed(&q)).is_err_and(|e| e.message.contains("directives")));
        let items = vec!["\"r\""; MAX_LIST_ITEMS + 1].join(",");
        let q = format!("mutation {{ setUserRoles(id: \"1\", roles: [{items}]) {{ id }} }}");
        assert!(check_document(&parsed(&q)).is_err_and(|e| e.message.contains("1001 items")));
        let nested = format!("{{ f(a: {{ b: [[{items}]] }}) }}");
        assert!(check_document(&parsed(&nested)).is_err());
    }

    #[test]
    fn variables_are_measured() {
        let vars = |json: serde_json::Value| Variables::from_json(json);
        assert_eq!(
            check_variables(&vars(serde_json::json!({ "a": [1, 2] }))),
            Ok(())
        );
        let long = vars(serde_json::json!({ "roles": vec!["x"; MAX_LIST_ITEMS + 1] }));
        assert!(
            check_variables(&long).is_err_and(|e| !e.in_document && e.message.contains("$roles"))
        );
        let big = vars(serde_json::json!({ "name": "x".repeat(MAX_VARIABLES_BYTES) }));
        assert!(check_variables(&big).is_err_and(|e| e.message.contains("bytes")));
    }

    #[test]
    fn nul_characters_are_refused_wherever_they_are() {
        let q = "{ user(id: \"a\\u0000b\") { id } }";
        assert!(
            check_document(&parsed(q)).is_err_and(|e| !e.in_document && e.message == NUL_REFUSED)
        );
        let vars = Variables::from_json(serde_json::json!({ "f": { "x": ["ok", "a\u{0}"] } }));
        assert!(check_variables(&vars).is_err_and(|e| e.message == NUL_REFUSED));
        let fine = Variables::from_json(serde_json::json!({ "f": "no nul here" }));
        assert_eq!(check_variables(&fine), Ok(()));
    }

    proptest! {
        /// Counting never panics, whatever the bytes, and never counts more
        /// tokens than there are characters (plus the one past the stop).
        #[test]
        fn counting_any_text_is_safe(text in any::<String>(), stop in 0usize..50) {
            let n = count_tokens(&text, stop);
            prop_assert!(n <= text.len());
            prop_assert!(n <= stop + 1);
        }

        /// Whitespace and commas between tokens never change the count.
        #[test]
        fn separators_do_not_count(names in prop::collection::vec("[a-z][a-z0-9_]{0,8}", 0..40),
                                   sep in prop::sample::select(vec![" ", ",", "\n", " , ", "\t"])) {
            let text = names.join(sep);
            prop_assert_eq!(count_tokens(&text, 1_000), names.len());
        }
    }
}
