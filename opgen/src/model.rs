//! The app's answer types as `web/src/model.rs` declares them: every struct
//! that derives `Deserialize`, with the JSON key serde reads each field from.

use std::collections::BTreeMap;

use syn::{Attribute, Fields, Item, LitStr, Type};

/// One field of an answer type.
pub struct ModelField {
    /// The Rust name, for messages.
    pub ident: String,
    /// The JSON key serde reads it from.
    pub key: String,
    pub ty: Type,
    /// `#[serde(default)]`: may be left out of a selection.
    pub defaulted: bool,
}

/// The answer types, by name.
pub type Model = BTreeMap<String, Vec<ModelField>>;

/// Reads the structs deriving `Deserialize` out of `source`.
pub fn parse(source: &str) -> Result<Model, String> {
    let file = syn::parse_file(source).map_err(|e| format!("model.rs does not parse: {e}"))?;
    let mut model = Model::new();
    for item in file.items {
        let Item::Struct(item) = item else { continue };
        if !derives_deserialize(&item.attrs) {
            continue;
        }
        let serde = SerdeAttrs::read(&item.attrs)?;
        let Fields::Named(named) = item.fields else {
            return Err(format!("{}: answer types have named fields", item.ident));
        };
        let mut fields = Vec::new();
        for field in named.named {
            let Some(ident) = field.ident else { continue };
            let ident = ident.to_string();
            let attrs = SerdeAttrs::read(&field.attrs)?;
            let name = ident.trim_start_matches("r#");
            let key = match (attrs.rename, serde.rename_all.as_deref()) {
                (Some(key), _) => key,
                (None, Some("camelCase")) => camel_case(name),
                (None, None) => name.to_string(),
                (None, Some(other)) => {
                    return Err(format!(
                        "{}: rename_all = {other:?} is not read",
                        item.ident
                    ));
                }
            };
            fields.push(ModelField {
                ident,
                key,
                ty: field.ty,
                defaulted: attrs.default,
            });
        }
        model.insert(item.ident.to_string(), fields);
    }
    Ok(model)
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                found |= meta
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Deserialize");
                Ok(())
            });
            found
        })
}

#[derive(Default)]
struct SerdeAttrs {
    rename_all: Option<String>,
    rename: Option<String>,
    default: bool,
}

impl SerdeAttrs {
    fn read(attrs: &[Attribute]) -> Result<Self, String> {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    out.rename_all = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("rename") {
                    out.rename = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("default") {
                    out.default = true;
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<LitStr>()?;
                    }
                } else {
                    return Err(meta.error("a serde attribute opgen does not read"));
                }
                Ok(())
            })
            .map_err(|e| format!("serde attribute: {e}"))?;
        }
        Ok(out)
    }
}

/// `last_active_at` → `lastActiveAt`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `lastActiveAt` → `last_active_at`.
pub fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `Option<T>` → `T` (and so for `Vec`).
pub fn generic_arg<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// The last name of a path type: `serde_json::Value` → `Value`.
pub fn type_name(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    path.path.segments.last().map(|s| s.ident.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_serde_renames() {
        let model = parse(
            r#"
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            pub struct Row { pub last_active_at: Option<String>, #[serde(rename = "ID")] pub id: String, #[serde(default)] pub extra: Vec<String> }
            #[derive(Clone)]
            pub struct NotAnswer { pub x: i64 }
            "#,
        )
        .expect("parses");
        let row = &model["Row"];
        let keys: Vec<_> = row.iter().map(|f| (f.key.as_str(), f.defaulted)).collect();
        assert_eq!(
            keys,
            [("lastActiveAt", false), ("ID", false), ("extra", true)]
        );
        assert!(!model.contains_key("NotAnswer"));
    }

    #[test]
    fn case_conversions() {
        assert_eq!(camel_case("last_active_at"), "lastActiveAt");
        assert_eq!(snake_case("passwordConfirm"), "password_confirm");
        assert_eq!(snake_case("id"), "id");
    }
}
