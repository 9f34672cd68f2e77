//! Rust for what an operation sends: a struct of its variables, and the input
//! objects and enums those name, each field typed from the schema.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use apollo_compiler::Schema;
use apollo_compiler::schema::{ExtendedType, Type as GqlType};

use crate::model::snake_case;

/// The input objects and enums the operations send, generated once each.
#[derive(Default)]
pub struct Inputs {
    wanted: BTreeSet<String>,
}

/// One field of a generated struct: its GraphQL name, type and whether the
/// schema lets it be left out (nullable, or with a default).
pub struct Member<'a> {
    pub name: &'a str,
    pub ty: &'a GqlType,
}

impl Inputs {
    /// A struct named `name` with `members`, serialized under their GraphQL
    /// names; `None` fields are left out.
    pub fn structure(&mut self, schema: &Schema, out: &mut String, name: &str, members: &[Member]) {
        let default = members.iter().all(|m| self.has_default(schema, m.ty));
        let derives = if default { ", Default" } else { "" };
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug, PartialEq, serde::Serialize{derives})]\npub struct {name} {{"
        );
        for member in members {
            let ty = self.rust(schema, member.ty);
            if !member.ty.is_non_null() {
                let _ = writeln!(
                    out,
                    "    #[serde(skip_serializing_if = \"Option::is_none\")]"
                );
            }
            let _ = writeln!(
                out,
                "    #[serde(rename = \"{}\")]\n    pub {}: {ty},",
                member.name,
                field_ident(member.name)
            );
        }
        let _ = writeln!(out, "}}\n");
    }

    /// The Rust type that sends a value of `ty`.
    fn rust(&mut self, schema: &Schema, ty: &GqlType) -> String {
        let inner = match ty {
            GqlType::List(item) | GqlType::NonNullList(item) => {
                format!("Vec<{}>", self.rust(schema, item))
            }
            GqlType::Named(name) | GqlType::NonNullNamed(name) => match name.as_str() {
                "Int" => "i64".into(),
                "Float" => "f64".into(),
                "Boolean" => "bool".into(),
                "JSON" => "serde_json::Value".into(),
                other => match schema.types.get(other) {
                    Some(ExtendedType::InputObject(_) | ExtendedType::Enum(_)) => {
                        self.wanted.insert(other.to_string());
                        other.to_string()
                    }
                    _ => "String".into(),
                },
            },
        };
        if ty.is_non_null() {
            inner
        } else {
            format!("Option<{inner}>")
        }
    }

    /// Whether a field of `ty` has a `Default` (enums have none).
    fn has_default(&self, schema: &Schema, ty: &GqlType) -> bool {
        match ty {
            GqlType::Named(_) | GqlType::List(_) | GqlType::NonNullList(_) => true,
            GqlType::NonNullNamed(name) => match schema.types.get(name.as_str()) {
                Some(ExtendedType::Enum(_)) => false,
                Some(ExtendedType::InputObject(input)) => input
                    .fields
                    .values()
                    .all(|f| self.has_default(schema, &f.ty)),
                _ => true,
            },
        }
    }

    /// The input objects and enums named so far, and those they name.
    pub fn finish(mut self, schema: &Schema, out: &mut String) {
        let mut done = BTreeSet::new();
        let mut generated = BTreeMap::new();
        while let Some(name) = self.wanted.iter().find(|n| !done.contains(*n)).cloned() {
            done.insert(name.clone());
            let mut text = String::new();
            match schema.types.get(name.as_str()) {
                Some(ExtendedType::InputObject(input)) => {
                    let members: Vec<Member> = input
                        .fields
                        .iter()
                        .map(|(field, def)| Member {
                            name: field.as_str(),
                            ty: &def.ty,
                        })
                        .collect();
                    self.structure(schema, &mut text, &name, &members);
                }
                Some(ExtendedType::Enum(e)) => {
                    let _ = writeln!(
                        text,
                        "#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]\npub enum {name} {{"
                    );
                    for value in e.values.keys() {
                        let _ = writeln!(
                            text,
                            "    #[serde(rename = \"{value}\")]\n    {},",
                            pascal_case(value.as_str())
                        );
                    }
                    let _ = writeln!(text, "}}\n");
                }
                _ => {}
            }
            generated.insert(name, text);
        }
        for text in generated.values() {
            out.push_str(text);
        }
    }
}

/// `passwordConfirm` → `password_confirm`, raw where it is a keyword.
pub fn field_ident(name: &str) -> String {
    let snake = snake_case(name);
    match snake.as_str() {
        "type" | "ref" | "match" | "mod" | "use" | "fn" | "struct" | "enum" | "impl" | "move"
        | "in" | "for" | "loop" | "where" | "as" | "crate" | "self" | "super" | "trait"
        | "static" | "const" | "let" | "mut" | "pub" | "return" | "async" | "await" | "dyn" => {
            format!("r#{snake}")
        }
        _ => snake,
    }
}

/// `PENDING_INVITATION` → `PendingInvitation`; `user_search` → `UserSearch`.
pub fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
