//! The changed fields of a record with their old and new values: the
//! details of an `*.updated` audit event.

use serde_json::{Map, Value, json};

/// Fields noted as changed, in the order they were noted.
#[derive(Debug, Default)]
pub struct Changes {
    fields: Vec<&'static str>,
    old: Map<String, Value>,
    new: Map<String, Value>,
}

impl Changes {
    /// Notes `field` when `before` and `after` differ; answers whether they
    /// do (so `Option::filter` keeps only real changes).
    pub fn note(&mut self, field: &'static str, before: Option<&str>, after: Option<&str>) -> bool {
        if before == after {
            return false;
        }
        self.fields.push(field);
        self.old.insert(field.into(), json!(before));
        self.new.insert(field.into(), json!(after));
        true
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `{changed_fields, old_values, new_values}`.
    pub fn details(self) -> Value {
        json!({
            "changed_fields": self.fields,
            "old_values": Value::Object(self.old),
            "new_values": Value::Object(self.new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_changes_are_noted() {
        let mut changes = Changes::default();
        assert!(!changes.note("name", Some("a"), Some("a")));
        assert!(changes.is_empty());
        assert!(changes.note("name", Some("a"), Some("b")));
        assert!(changes.note("description", Some("d"), None));
        assert_eq!(
            changes.details(),
            json!({
                "changed_fields": ["name", "description"],
                "old_values": { "name": "a", "description": "d" },
                "new_values": { "name": "b", "description": null },
            })
        );
    }
}
