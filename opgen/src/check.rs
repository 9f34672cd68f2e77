//! Checks that an answer type reads exactly what an operation selects: every
//! field it reads is selected, every selected field is read, and each is read
//! as a Rust type the GraphQL type fits (`Option` where the API may answer
//! `null`, `Vec` for lists, the scalar's Rust type, an answer struct for an
//! object, checked the same way down the tree).

use apollo_compiler::Schema;
use apollo_compiler::executable::{ExecutableDocument, Field, Selection, SelectionSet};
use apollo_compiler::schema::{ExtendedType, Type as GqlType};
use syn::Type;

use crate::model::{Model, generic_arg, type_name};

pub struct Checker<'a> {
    pub schema: &'a Schema,
    pub document: &'a ExecutableDocument,
    pub model: &'a Model,
    pub errors: Vec<String>,
}

impl Checker<'_> {
    /// `rust` as the answer of a field of GraphQL type `gql`.
    pub fn value(&mut self, path: &str, rust: &Type, gql: &GqlType, selection: &SelectionSet) {
        let inner = generic_arg(rust, "Option");
        if !gql.is_non_null() && inner.is_none() {
            self.errors.push(format!(
                "{path} may be null: read it as Option<{}>",
                show(rust)
            ));
            return;
        }
        let rust = inner.unwrap_or(rust);
        match gql {
            GqlType::List(item) | GqlType::NonNullList(item) => match generic_arg(rust, "Vec") {
                Some(element) => self.value(&format!("{path}[]"), element, item, selection),
                None => self.errors.push(format!(
                    "{path} is a list: read it as Vec<…>, not {}",
                    show(rust)
                )),
            },
            GqlType::Named(name) | GqlType::NonNullNamed(name) => {
                self.named(path, rust, name.as_str(), selection)
            }
        }
    }

    fn named(&mut self, path: &str, rust: &Type, gql: &str, selection: &SelectionSet) {
        let found = type_name(rust).unwrap_or_default();
        let fits: &[&str] = match self.schema.types.get(gql) {
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_)) => {
                return self.object(path, &found, selection);
            }
            Some(ExtendedType::Scalar(_)) => scalar_types(gql),
            // An enum reads as its name, or as the enum generated for it.
            Some(ExtendedType::Enum(_)) if found == gql => return,
            Some(ExtendedType::Enum(_)) => &["String"],
            _ => {
                self.errors
                    .push(format!("{path}: GraphQL type {gql} is not read by opgen"));
                return;
            }
        };
        if !fits.contains(&found.as_str()) {
            self.errors.push(format!(
                "{path} is a {gql}: read it as {}, not {}",
                fits.join(" or "),
                show(rust)
            ));
        }
    }

    /// The struct `name` as the answer to `selection`.
    pub fn object(&mut self, path: &str, name: &str, selection: &SelectionSet) {
        let model = self.model;
        let Some(read) = model.get(name) else {
            self.errors.push(format!(
                "{path} is an object: read it as a struct of model.rs deriving Deserialize, not {name:?}"
            ));
            return;
        };
        let document = self.document;
        let selected = fields(document, selection);
        for field in read {
            if !field.defaulted
                && !selected
                    .iter()
                    .any(|s| s.response_key().as_str() == field.key)
            {
                self.errors.push(format!(
                    "{path}: {name}.{} reads `{}`, which is not selected",
                    field.ident, field.key
                ));
            }
        }
        for chosen in selected {
            let key = chosen.response_key().as_str();
            if key == "__typename" {
                continue;
            }
            let conditional = ["include", "skip"]
                .iter()
                .any(|d| chosen.directives.get(d).is_some());
            match read.iter().find(|f| f.key == key) {
                // Left out of the answer when its condition says so.
                Some(field)
                    if conditional
                        && !field.defaulted
                        && generic_arg(&field.ty, "Option").is_none() =>
                {
                    self.errors.push(format!(
                        "{path}.{key} is selected on a condition: read it as Option<…> or with #[serde(default)]"
                    ))
                }
                Some(field) => self.value(
                    &format!("{path}.{key}"),
                    &field.ty,
                    chosen.ty(),
                    &chosen.selection_set,
                ),
                None => self.errors.push(format!(
                    "{path}.{key} is selected but {name} does not read it"
                )),
            }
        }
    }
}

/// The fields of `selection`, fragments spread in.
pub fn fields<'s>(document: &'s ExecutableDocument, selection: &'s SelectionSet) -> Vec<&'s Field> {
    let mut out = Vec::new();
    for item in &selection.selections {
        match item {
            Selection::Field(field) => out.push(field.as_ref()),
            Selection::InlineFragment(inline) => {
                out.extend(fields(document, &inline.selection_set))
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.fragment_name) {
                    out.extend(fields(document, &fragment.selection_set));
                }
            }
        }
    }
    out
}

/// The Rust types that read a scalar.
fn scalar_types(gql: &str) -> &'static [&'static str] {
    match gql {
        "Int" => &["i64", "i32", "u32", "u64", "usize"], // counts and sizes the API never answers negative
        "Float" => &["f64"],
        "Boolean" => &["bool"],
        "JSON" => &["Value"],
        _ => &["String"],
    }
}

fn show(ty: &Type) -> String {
    quote::quote!(#ty).to_string().replace(' ', "")
}
