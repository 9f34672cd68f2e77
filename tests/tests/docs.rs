//! The configuration reference (`docs/configuration.md`) names every
//! environment variable the server reads. The variables are taken from the
//! source: every string literal passed as the first argument of a method of
//! the config reader (`Vars` in `server/src/config/vars.rs`: `v.get("X")`,
//! `v.flag("X")`, `v.parse("X", …)`, and any method added to it later), and
//! of `std::env::var`/`var_os`, anywhere under `server/src/`.
#![expect(
    clippy::expect_used,
    reason = "tests fail loudly on broken preconditions"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The type through which `server/src/config/` reads the environment.
const READER_TYPE: &str = "Vars";

/// Fewer than this many variables means the extractor is broken, not that
/// Roster stopped reading its configuration.
const AT_LEAST: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Splits Rust source into identifiers, string literals and punctuation,
/// dropping whitespace, comments, numbers' structure and char literals, so
/// that a call reads the same however it is formatted.
fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == Some('/') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while let Some(c) = at(i) {
                if c == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if c == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            let (text, next) = quoted(&chars, i + 1);
            tokens.push(Token::Str(text));
            i = next;
        } else if c == '\'' {
            if at(i + 1) == Some('\\') {
                // An escaped char literal: '\n', '\'', '\u{1F600}'.
                i += 3;
                while at(i).is_some_and(|c| c != '\'') {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == Some('\'') {
                i += 3;
            } else {
                // A lifetime; its name follows as an identifier.
                tokens.push(Token::Punct('\''));
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while at(i).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            let hashes = (i..).take_while(|&j| at(j) == Some('#')).count();
            if raw && at(i + hashes) == Some('"') {
                let (text, next) = raw_string(&chars, i + hashes + 1, hashes);
                tokens.push(Token::Str(text));
                i = next;
            } else if matches!(word.as_str(), "b" | "c") && at(i) == Some('"') {
                let (text, next) = quoted(&chars, i + 1);
                tokens.push(Token::Str(text));
                i = next;
            } else {
                tokens.push(Token::Ident(word));
            }
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// The text of a `"…"` literal whose body starts at `i`, and the index after it.
fn quoted(chars: &[char], mut i: usize) -> (String, usize) {
    let mut text = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                if let Some(&escaped) = chars.get(i + 1) {
                    text.push('\\');
                    text.push(escaped);
                }
                i += 2;
            }
            '"' => return (text, i + 1),
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    (text, i)
}

/// The text of a raw literal with `hashes` `#`s whose body starts at `i`.
fn raw_string(chars: &[char], mut i: usize, hashes: usize) -> (String, usize) {
    let start = i;
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return (chars[start..i].iter().collect(), i + 1 + hashes);
        }
        i += 1;
    }
    (chars[start..].iter().collect(), i)
}

fn is_ident(token: Option<&Token>, name: &str) -> bool {
    matches!(token, Some(Token::Ident(word)) if word == name)
}

fn is_punct(token: Option<&Token>, c: char) -> bool {
    token == Some(&Token::Punct(c))
}

/// The token index just past the block that opens at `open` (a `{`).
fn block_end(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The `impl … Vars … { … }` blocks: their token ranges and the methods
/// they define.
fn reader_impls(tokens: &[Token]) -> (Vec<(usize, usize)>, BTreeSet<String>) {
    let mut ranges = Vec::new();
    let mut methods = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        if token != &Token::Ident("impl".into()) {
            continue;
        }
        let Some(open) = (i..tokens.len()).find(|&j| matches!(tokens[j], Token::Punct('{' | ';')))
        else {
            continue;
        };
        if !is_punct(tokens.get(open), '{')
            || !tokens[i..open]
                .iter()
                .any(|t| is_ident(Some(t), READER_TYPE))
        {
            continue;
        }
        let end = block_end(tokens, open);
        let mut depth = 0usize;
        for (j, token) in tokens.iter().enumerate().take(end).skip(open) {
            match token {
                Token::Punct('{') => depth += 1,
                Token::Punct('}') => depth = depth.saturating_sub(1),
                Token::Ident(word) if word == "fn" && depth == 1 => {
                    if let Some(Token::Ident(name)) = tokens.get(j + 1) {
                        methods.insert(name.clone());
                    }
                }
                _ => {}
            }
        }
        ranges.push((open, end));
    }
    (ranges, methods)
}

/// Names bound to a reader: `let [mut] v = [&] Vars(…)` and parameters
/// `v: [&['a]] [mut] Vars`.
fn reader_bindings(tokens: &[Token]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        if is_punct(tokens.get(i + 1), '=') && !is_punct(tokens.get(i + 2), '=') {
            let mut j = i + 2;
            while is_punct(tokens.get(j), '&') {
                j += 1;
            }
            let after_let = (i >= 1 && is_ident(tokens.get(i - 1), "let"))
                || (i >= 2
                    && is_ident(tokens.get(i - 1), "mut")
                    && is_ident(tokens.get(i - 2), "let"));
            if after_let && is_ident(tokens.get(j), READER_TYPE) {
                names.insert(name.clone());
            }
        } else if is_punct(tokens.get(i + 1), ':') && !is_punct(tokens.get(i + 2), ':') {
            let mut j = i + 2;
            loop {
                if is_punct(tokens.get(j), '&') || is_ident(tokens.get(j), "mut") {
                    j += 1;
                } else if is_punct(tokens.get(j), '\'') {
                    j += 2;
                } else {
                    break;
                }
            }
            if is_ident(tokens.get(j), READER_TYPE) {
                names.insert(name.clone());
            }
        }
    }
    names
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && s.len() >= 3
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Every environment variable the given source files read.
fn variables_read(sources: &[String]) -> BTreeSet<String> {
    let files: Vec<Vec<Token>> = sources.iter().map(|s| tokenize(s)).collect();
    let mut methods = BTreeSet::new();
    for tokens in &files {
        methods.extend(reader_impls(tokens).1);
    }
    let mut found = BTreeSet::new();
    for tokens in &files {
        let receivers = reader_bindings(tokens);
        let (impls, _) = reader_impls(tokens);
        let inside_reader = |i: usize| impls.iter().any(|&(start, end)| (start..end).contains(&i));
        for i in 0..tokens.len() {
            // receiver . method ( "NAME"
            if let (Some(Token::Ident(receiver)), Some(Token::Ident(method))) =
                (tokens.get(i), tokens.get(i + 2))
                && is_punct(tokens.get(i + 1), '.')
                && is_punct(tokens.get(i + 3), '(')
                && methods.contains(method)
                && (receivers.contains(receiver) || receiver == "self" && inside_reader(i))
                && let Some(Token::Str(name)) = tokens.get(i + 4)
                && is_variable_name(name)
            {
                found.insert(name.clone());
            }
            // env :: var ( "NAME"   (and var_os)
            if is_ident(tokens.get(i), "env")
                && is_punct(tokens.get(i + 1), ':')
                && is_punct(tokens.get(i + 2), ':')
                && (is_ident(tokens.get(i + 3), "var") || is_ident(tokens.get(i + 3), "var_os"))
                && is_punct(tokens.get(i + 4), '(')
                && let Some(Token::Str(name)) = tokens.get(i + 5)
                && is_variable_name(name)
            {
                found.insert(name.clone());
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

#[test]
fn configuration_reference_names_every_variable_the_server_reads() {
    let mut files = Vec::new();
    rust_files(&root().join("server/src"), &mut files);
    let sources: Vec<String> = files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect();
    let read = variables_read(&sources);

    // The extractor sees each way config/ reads a variable today: `get`,
    // `flag`, a `flag` inside a closure, and a `parse` split over lines.
    for known in [
        "DATABASE_URL",
        "USER_MGMT_CORE",
        "NEXT_PUBLIC_USER_MGMT_UI",
        "SMTP_PORT",
    ] {
        assert!(
            read.contains(known),
            "the extractor missed {known}; has the config reader (`{READER_TYPE}`) \
             been renamed? found: {read:?}"
        );
    }
    assert!(
        read.len() >= AT_LEAST,
        "only {} variables found under server/src (expected at least {AT_LEAST}): {read:?}",
        read.len()
    );

    let reference = root().join("docs/configuration.md");
    let doc = std::fs::read_to_string(&reference)
        .unwrap_or_else(|e| panic!("{}: {e}", reference.display()));
    let missing: Vec<&String> = read
        .iter()
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not document {missing:?} (write each as `NAME`, \
         with its default and meaning)"
    );
}

#[test]
fn extractor_reads_calls_however_they_are_formatted() {
    let source = r##"
        // v.get("IN_A_COMMENT") is not a read.
        /* nor v.flag("IN_A_BLOCK") /* nested */ v.flag("STILL_COMMENT") */
        struct Vars<'a>(&'a Map);
        impl Vars<'_> {
            fn get(&self, name: &str) -> Option<&str> { None }
            fn flag(&self, name: &str) -> Option<bool> { None }
            fn seconds(&self, name: &'static str) -> u64 { self.get("INSIDE_READER"); 0 }
        }
        fn section(vars: &Vars<'_>) -> u64 { vars.seconds("FROM_PARAMETER") }
        fn build(map: &Map, headers: &Map) {
            let c = '"';
            let url = "http://not/a/comment";
            let raw = r#"v.get("IN_A_RAW_STRING")"#;
            let v = Vars(map);
            let a = v.get("PLAIN");
            let b = v
                .flag(
                    "ACROSS_LINES",
                );
            let d = v.get("lower_case");
            let e = headers.get("NOT_THE_READER");
            let f = v.get("AB");
            let g = std::env::var("FROM_ENV");
        }
    "##;
    let found = variables_read(&[source.to_string()]);
    let expected: BTreeSet<String> = [
        "ACROSS_LINES",
        "FROM_ENV",
        "FROM_PARAMETER",
        "INSIDE_READER",
        "PLAIN",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, expected);
}
