//! What the commands print: one line per user changed, and the
//! `list-users` table or JSON lines.

use std::io::Write;

use crate::service::users::UserView;

pub(super) fn print_user_line(prefix: &str, view: &UserView) {
    println!(
        "{prefix}: {} <{}> (id {}, roles: {}, status: {})",
        view.user.username,
        view.user.email,
        view.user.id,
        view.roles.join(","),
        view.user.status
    );
}

pub(super) fn print_users(list: &[UserView], json: bool) {
    let mut out = std::io::stdout().lock();
    if json {
        for v in list {
            let line = serde_json::json!({
                "id": v.user.id,
                "username": v.user.username,
                "email": v.user.email,
                "display_name": v.user.display_name,
                "status": v.user.status.as_str(),
                "roles": v.roles,
                "created_at": v.user.created_at,
                "last_login_at": v.user.last_login_at,
                "deleted_at": v.user.deleted_at,
            });
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    let rows: Vec<[String; 6]> = list
        .iter()
        .map(|v| {
            [
                v.user.id.clone(),
                v.user.username.clone(),
                v.user.email.clone(),
                v.roles.join(","),
                v.user.status.to_string(),
                v.user.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ]
        })
        .collect();
    let header = [
        "ID",
        "USERNAME",
        "EMAIL",
        "ROLES",
        "STATUS",
        "CREATED (UTC)",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let format_row = |cells: &[&str]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", format_row(&header));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{}", format_row(&cells));
    }
    let _ = writeln!(
        out,
        "({} user{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
}
