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
    /// Structs with two fields of one Rust name (`userId`, `user_id`).
    pub clashes: Vec<String>,
}

/// One field of a generated struct: its GraphQL name and type (nullable
/// ones are `Option`s, left out of the JSON when `None`).
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
        let mut seen = std::collections::BTreeSet::new();
        for member in members {
            let ident = field_ident(member.name);
            if !seen.insert(ident.clone()) {
                self.clashes
                    .push(format!("{name}: two fields are both `{ident}` in Rust"));
            }
            let ty = self.rust(schema, member.ty);
            if !member.ty.is_non_null() {
                let _ = writeln!(
                    out,
                    "    #[serde(skip_serializing_if = \"Option::is_none\")]"
                );
            }
            let _ = writeln!(
                out,
                "    #[serde(rename = \"{}\")]\n    pub {ident}: {ty},",
                member.name
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

    /// The input objects and enums named so far, and those they name;
    /// answers the field-name clashes met.
    pub fn finish(mut self, schema: &Schema, out: &mut String) -> Vec<String> {
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
        self.clashes
    }
}

/// `passwordConfirm` → `password_confirm`; a keyword is made raw (`r#type`),
/// or given a `_` where it cannot be (`self_`).
pub fn field_ident(name: &str) -> String {
    let snake = snake_case(name);
    if matches!(snake.as_str(), "self" | "super" | "crate" | "_") {
        return format!("{snake}_");
    }
    // syn knows the keywords of every edition but `gen` (2024).
    if snake != "gen" && syn::parse_str::<syn::Ident>(&snake).is_ok() {
        snake
    } else {
        format!("r#{snake}")
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
