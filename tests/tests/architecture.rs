//! The rules of ARCHITECTURE.md that a reader of the sources can check: no
//! import cycle among the server's modules, no module over 600 lines (no
//! admin app page over 400), no permission named or decided outside the
//! policy (`service::policy`), and transactions begun and ended by the unit
//! of work only.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The server's sources, module path → text without comments and tests.
fn modules() -> BTreeMap<String, (PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read server/src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(&root)
                .expect("under src")
                .with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
            {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            out.insert(parts.join("::"), (path, text));
        }
    }
    out
}

/// The code before its `#[cfg(test)]` module, without `//` comments (a
/// `//` inside a string, as in `"http://"`, is kept).
fn code(text: &str) -> String {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
    before_tests
        .lines()
        .map(|line| {
            let mut in_string = false;
            let mut prev = ' ';
            for (i, c) in line.char_indices() {
                match c {
                    '"' if prev != '\\' => in_string = !in_string,
                    '/' if !in_string && prev == '/' => return &line[..i - 1],
                    _ => {}
                }
                prev = c;
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a `use` tree names, braces expanded:
/// `a::{b, c::{d, e}}` gives `a::b`, `a::c::d` and `a::c::e`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let Some(open) = tree.find('{') else {
        let path: Vec<String> = tree
            .split("::")
            .map(str::trim)
            .take_while(|s| segment_ok(s))
            .map(str::to_string)
            .collect();
        return vec![path];
    };
    let prefix: Vec<String> = tree[..open]
        .trim_end_matches("::")
        .split("::")
        .map(str::trim)
        .filter(|s| segment_ok(s))
        .map(str::to_string)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    let mut out = Vec::new();
    for item in items.into_iter().filter(|i| !i.trim().is_empty()) {
        for rest in expand(item) {
            let mut full = prefix.clone();
            if rest.first().is_some_and(|s| s == "self") {
                full.extend(rest.into_iter().skip(1));
            } else {
                full.extend(rest);
            }
            out.push(full);
        }
    }
    out
}

/// Every `crate::…`, `super::…` or `self::…` path in `code` (in `use` trees
/// with braces too), as module path segments from the crate root.
fn references(module: &str, code: &str) -> Vec<Vec<String>> {
    let base: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(str::to_string).collect()
    };
    // `a::b`'s `super` is `a`, whether it lives in `a/b.rs` or `a/b/mod.rs`.
    let parent: Vec<String> = base[..base.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for (kind, prefix) in [("crate", Vec::new()), ("super", parent), ("self", base)] {
        let needle = format!("{kind}::");
        let mut at = 0;
        while let Some(found) = code[at..].find(&needle) {
            let start = at + found;
            at = start + needle.len();
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue;
            }
            // The path runs to the end of its use tree: a balanced `{…}`, or
            // the first character that cannot be part of a path.
            let rest = &code[at..];
            let mut depth = 0usize;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    c if depth == 0 && !(c.is_ascii_alphanumeric() || c == '_' || c == ':') => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            for path in expand(&rest[..end]) {
                let mut full = prefix.clone();
                full.extend(path);
                out.push(full);
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let mut graph = BTreeMap::new();
    for (name, (_, text)) in &mods {
        let mut deps = BTreeSet::new();
        for parts in references(name, &code(text)) {
            for k in (1..=parts.len()).rev() {
                let candidate = parts[..k].join("::");
                if mods.contains_key(&candidate) {
                    if &candidate != name {
                        deps.insert(candidate);
                    }
                    break;
                }
            }
        }
        graph.insert(name.clone(), deps);
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_import_cycle_among_the_servers_modules() {
    let graph = graph();
    assert!(graph.len() > 40, "found only {} modules", graph.len());
    assert!(
        graph["service::audit"].contains("service::actor"),
        "the reference scan is broken: {:?}",
        graph["service::audit"]
    );
    // sea-orm's `Related` impls link entities both ways by design.
    let found: Vec<_> = cycles(&graph)
        .into_iter()
        .filter(|c| !c.iter().all(|m| m.starts_with("entity::")))
        .collect();
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn grouped_imports_are_followed() {
    let found = references(
        "service::auth",
        &code(
            "use super::{access_tokens, roles::{self, catalog}};\nuse crate::db;\nlet x = \"http://a\"; // super::nope",
        ),
    );
    let names: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    for want in [
        "service::access_tokens",
        "service::roles",
        "service::roles::catalog",
        "db",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("nope")), "{names:?}");
    assert!(
        code("let x = \"http://a\"; // super::nope").contains("http://a"),
        "strings keep their //"
    );
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let mut graph = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")] {
        graph
            .entry(a.to_string())
            .or_insert_with(BTreeSet::new)
            .insert(b.to_string());
    }
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
}

#[test]
fn no_server_module_is_over_600_lines() {
    let long: Vec<_> = modules()
        .into_iter()
        .map(|(name, (_, text))| (name, text.lines().count()))
        .filter(|(_, lines)| *lines > 600)
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

/// The admin app's pages (`web/src/pages/**.rs`), each at most 400 lines
/// counting everything (issue 15: one screen, or one part of one, a file).
#[test]
fn no_admin_app_page_is_over_400_lines() {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, usize)>) {
        for entry in std::fs::read_dir(dir).expect("web/src/pages") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a page");
                out.push((path, text.lines().count()));
            }
        }
    }
    let mut pages = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/pages"),
        &mut pages,
    );
    assert!(pages.len() > 5, "found the pages: {pages:?}");
    let long: Vec<_> = pages.into_iter().filter(|(_, n)| *n > 400).collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

/// Modules that may name a permission: the policy that decides, the type
/// that lists them, and the actor that holds them.
const PERMISSION_OWNERS: &[&str] = &["service::policy", "domain::permission", "service::actor"];

#[test]
fn permissions_are_decided_in_the_policy_only() {
    let variants = [
        "UsersRead",
        "UsersManage",
        "RolesManage",
        "OrgsRead",
        "OrgsManage",
        "AuditRead",
        "TokensManage",
        "SystemManage",
        "SiteConfigs",
        "Credentials",
        "Bookmarks",
    ];
    let mut checked = 0;
    for (name, (path, text)) in modules() {
        if PERMISSION_OWNERS.contains(&name.as_str()) {
            continue;
        }
        checked += 1;
        let code = code(&text);
        for call in [".has_permission(", ".missing("] {
            assert!(
                !code.contains(call),
                "{}: asks {call} itself; call a decision of service::policy",
                path.display()
            );
        }
        for variant in variants {
            assert!(
                !code.contains(&format!("Permission::{variant}")),
                "{}: names Permission::{variant}; decisions live in service::policy",
                path.display()
            );
        }
        for prefix in ["users:", "roles:", "tokens:", "orgs:", "audit:", "system:"] {
            assert!(
                !code.contains(&format!("\"{prefix}")),
                "{}: names a permission ({prefix}…); decisions live in service::policy",
                path.display()
            );
        }
    }
    assert!(checked > 40, "checked only {checked} modules");
}

#[test]
fn transactions_begin_in_one_place() {
    for (name, (path, text)) in modules() {
        let code = code(&text);
        if name != "db" {
            for call in [".begin()", ".begin_with_config(", ".begin_with_options("] {
                assert!(
                    !code.contains(call),
                    "{}: begins a transaction itself; the unit of work does (service::work)",
                    path.display()
                );
            }
        }
        if name != "db" && name != "service::work" {
            for call in ["db::begin(", ".commit()", ".rollback()"] {
                assert!(
                    !code.contains(call),
                    "{}: ends or begins a transaction ({call}); only the unit of work does",
                    path.display()
                );
            }
        }
    }
}
