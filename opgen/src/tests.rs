use super::*;

const SCHEMA: &str = r#"
scalar DateTime
type Query { users(first: Int, filter: UsersFilter): UserPage! viewer: Viewer }
type Mutation { setQuota(id: ID!, resource: QuotaResource!, limit: Int): Boolean! }
type Viewer { name: String! }
type UserPage { totalCount: Int! nodes: [User!]! }
type User { id: ID! email: String! displayName: String lastSeenAt: DateTime }
input UsersFilter { search: String includeDeleted: Boolean! = false status: UserStatus }
enum UserStatus { ACTIVE PENDING_INVITATION }
enum QuotaResource { TOKENS }
"#;

const MODEL: &str = r#"
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPage { pub total_count: i64, pub nodes: Vec<UserRow> }
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRow { pub id: String, pub email: String, pub display_name: Option<String> }
"#;

const USERS: &str = "# reads: users as UserPage
query Users($first: Int, $filter: UsersFilter) {
  users(first: $first, filter: $filter) { totalCount nodes { id email displayName } }
}";

fn run(schema: &str, name: &str, text: &str, model: &str) -> Result<String, String> {
    let file = OperationFile {
        path: format!("graphql/{name}.graphql"),
        text: text.to_string(),
    };
    generate(schema, &[file], model)
}

#[test]
fn an_operation_becomes_its_typed_variables_and_answer() {
    let out = run(SCHEMA, "users", USERS, MODEL).expect("generates");
    for expected in [
        "pub struct Users {",
        "#[serde(rename = \"first\")]\n    pub first: Option<i64>,",
        "pub filter: Option<UsersFilter>,",
        "const FIELD: Option<&'static str> = Some(\"users\");",
        "type Data = crate::model::UserPage;",
        // the input object and the enum it names, generated once
        "#[derive(Clone, Debug, PartialEq, serde::Serialize, Default)]\npub struct UsersFilter {",
        "#[serde(rename = \"includeDeleted\")]\n    pub include_deleted: bool,",
        "pub status: Option<UserStatus>,",
        "#[serde(rename = \"PENDING_INVITATION\")]\n    PendingInvitation,",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("QuotaResource"), "only what is sent: {out}");
}

#[test]
fn an_enum_variable_is_required_and_has_no_default() {
    let text = "mutation SetQuota($id: ID!, $resource: QuotaResource!, $limit: Int) { setQuota(id: $id, resource: $resource, limit: $limit) }";
    let out = run(SCHEMA, "set_quota", text, MODEL).expect("generates");
    assert!(
        out.contains("#[derive(Clone, Debug, PartialEq, serde::Serialize)]\npub struct SetQuota {"),
        "{out}"
    );
    assert!(out.contains("pub resource: QuotaResource,"), "{out}");
    assert!(out.contains("type Data = serde::de::IgnoredAny;"), "{out}");
    assert!(
        out.contains("serde::Deserialize)]\npub enum QuotaResource {"),
        "{out}"
    );
}

#[test]
fn a_field_read_but_not_selected_fails() {
    let text = USERS.replace("displayName ", "");
    let err = run(SCHEMA, "users", &text, MODEL).expect_err("refused");
    assert!(
        err.contains("UserRow.display_name reads `displayName`, which is not selected"),
        "{err}"
    );
}

#[test]
fn a_field_selected_but_not_read_fails() {
    let text = USERS.replace("displayName ", "displayName lastSeenAt ");
    let err = run(SCHEMA, "users", &text, MODEL).expect_err("refused");
    assert!(
        err.contains("users.nodes[].lastSeenAt is selected but UserRow does not read it"),
        "{err}"
    );
}

#[test]
fn a_nullable_field_read_as_required_fails() {
    let model = MODEL.replace(
        "pub display_name: Option<String>",
        "pub display_name: String",
    );
    let err = run(SCHEMA, "users", USERS, &model).expect_err("refused");
    assert!(
        err.contains("users.nodes[].displayName may be null: read it as Option<String>"),
        "{err}"
    );
}

#[test]
fn a_scalar_read_as_another_type_fails() {
    let model = MODEL.replace("pub total_count: i64", "pub total_count: String");
    let err = run(SCHEMA, "users", USERS, &model).expect_err("refused");
    assert!(
        err.contains("users.totalCount is a Int: read it as i64"),
        "{err}"
    );
    let model = MODEL.replace("pub nodes: Vec<UserRow>", "pub nodes: UserRow");
    let err = run(SCHEMA, "users", USERS, &model).expect_err("refused");
    assert!(err.contains("users.nodes is a list"), "{err}");
}

#[test]
fn a_schema_change_fails() {
    let schema = SCHEMA.replace("displayName: String ", "");
    let err = run(&schema, "users", USERS, MODEL).expect_err("refused");
    assert!(err.contains("displayName"), "{err}");
    // a field turning nullable
    let schema = SCHEMA.replace("email: String!", "email: String");
    let err = run(&schema, "users", USERS, MODEL).expect_err("refused");
    assert!(err.contains("users.nodes[].email may be null"), "{err}");
}

#[test]
fn the_whole_answer_and_other_roots() {
    let model = "#[derive(Deserialize)] pub struct Boot { pub viewer: Option<Viewer> }
                 #[derive(Deserialize)] pub struct Viewer { pub name: String }";
    let text = "# reads: Boot\nquery Boot { viewer { name } }";
    let out = run(SCHEMA, "boot", text, model).expect("generates");
    assert!(
        out.contains("const FIELD: Option<&'static str> = None;"),
        "{out}"
    );
    assert!(out.contains("type Data = crate::model::Boot;"), "{out}");
    let text =
        "# reads: viewer as Option<Viewer>\nquery Boot { viewer { name } users { totalCount } }";
    let err = run(SCHEMA, "boot", text, model).expect_err("refused");
    assert!(
        err.contains("users is selected but only viewer is read"),
        "{err}"
    );
}

#[test]
fn names_and_files_agree() {
    let err = run(SCHEMA, "user_list", USERS, MODEL).expect_err("refused");
    assert!(
        err.contains("the operation is to be named UserList"),
        "{err}"
    );
    let two = format!("{USERS}\nquery Other {{ viewer {{ name }} }}");
    let err = run(SCHEMA, "users", &two, MODEL).expect_err("refused");
    assert!(err.contains("one operation per file"), "{err}");
}

/// The app's own operations agree with the printed schema and the model:
/// `cargo test` says so without a wasm build.
#[test]
fn the_admin_apps_operations_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("web/graphql")).expect("web/graphql") {
        let path = entry.expect("entry").path();
        files.push(OperationFile {
            path: path.display().to_string(),
            text: read(&path),
        });
    }
    assert!(files.len() > 30);
    let schema = read(&root.join("schema.graphql"));
    let model = read(&root.join("web/src/model.rs"));
    if let Err(e) = generate(&schema, &files, &model) {
        panic!("{e}");
    }
}

#[test]
fn an_enum_reads_as_a_string_or_as_its_generated_enum() {
    let schema = format!("{SCHEMA}\nextend type User {{ status: UserStatus! }}");
    let text = USERS.replace("displayName }", "displayName status }");
    for (ty, ok) in [
        ("String", true),
        ("UserStatus", true),
        ("i64", false),
        ("Status", false),
    ] {
        let model = MODEL.replace(
            "pub display_name: Option<String> }",
            &format!("pub display_name: Option<String>, pub status: {ty} }}"),
        );
        let result = run(&schema, "users", &text, &model);
        assert_eq!(result.is_ok(), ok, "{ty}: {result:?}");
    }
}

#[test]
fn a_field_selected_on_a_condition_is_optional() {
    let text = USERS
        .replace(
            "displayName }",
            "displayName email2: email @include(if: $all) }",
        )
        .replace(
            "$filter: UsersFilter)",
            "$filter: UsersFilter, $all: Boolean!)",
        );
    let model = MODEL.replace(
        "pub display_name: Option<String> }",
        "pub display_name: Option<String>, pub email2: String }",
    );
    let err = run(SCHEMA, "users", &text, &model).expect_err("refused");
    assert!(
        err.contains("users.nodes[].email2 is selected on a condition"),
        "{err}"
    );
    let model = MODEL.replace(
        "pub display_name: Option<String> }",
        "pub display_name: Option<String>, #[serde(default)] pub email2: String }",
    );
    run(SCHEMA, "users", &text, &model).expect("generates");
}

#[test]
fn keywords_and_clashes_in_field_names() {
    assert_eq!(inputs::field_ident("type"), "r#type");
    assert_eq!(inputs::field_ident("self"), "self_");
    assert_eq!(inputs::field_ident("gen"), "r#gen");
    assert_eq!(inputs::field_ident("if"), "r#if");
    assert_eq!(inputs::field_ident("passwordConfirm"), "password_confirm");
    let schema = format!(
        "{SCHEMA}\ninput Twice {{ userId: ID user_id: ID }}\nextend type Query {{ twice(t: Twice): Boolean }}"
    );
    let err = run(
        &schema,
        "twice",
        "query Twice($t: Twice) { twice(t: $t) }",
        MODEL,
    )
    .expect_err("refused");
    assert!(
        err.contains("Twice: two fields are both `user_id` in Rust"),
        "{err}"
    );
}
