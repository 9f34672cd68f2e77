//! `roster provision-user` (seed 000/001 procedure 2): authorised by an
//! admin's own credentials, with a password or by invitation.

use crate::app::App;
use crate::domain::{Channel, DisplayName, Email, RoleName, Username};
use crate::service::users::{self, NewUser};
use crate::service::work::{Mode, Work};
use crate::service::{auth, invitations, policy};

use super::input::{Stdin, new_password, prompt_hidden, stdin_is_terminal};
use super::output::print_user_line;
use super::{Failure, ProvisionArgs, user_exists};

pub(super) async fn provision(
    app: &App,
    args: ProvisionArgs,
    stdin: &mut Stdin,
) -> Result<(), Failure> {
    let actor_password = match (&args.actor_password, args.actor_password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => stdin.line("the actor's password")?,
        (None, false) if stdin_is_terminal() => prompt_hidden("Actor password: ")?,
        (None, false) => {
            return Err(Failure {
                message: "The actor's password is required: pass --actor-password, --actor-password-stdin, or run on a terminal".into(),
                code: 7,
            });
        }
    };
    let password = crate::domain::PlainPassword::unchecked(actor_password);
    let Some(user) = auth::verify_credentials(app, &args.actor_email, &password).await? else {
        return Err(Failure {
            message: "Invalid admin credentials".into(),
            code: 3,
        });
    };
    let actor = auth::actor_for(&app.db, user, Channel::Cli, &auth::Client::default(), None)
        .await?
        .actor;
    let email = Email::parse(&args.email)?;
    let username = match &args.username {
        Some(u) => Username::parse(u)?,
        None => Username::from_email(&email)?,
    };
    let roles = args
        .roles
        .iter()
        .map(|r| RoleName::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    // The actor's right is checked (and a denial recorded) before asking
    // for the new user's password; creating the user checks it again.
    let check = Work::new(app, actor.clone(), Mode::Write);
    let allowed = policy::require_user_manager(&check);
    check.finish(allowed).await?;
    let password = if args.invite {
        None
    } else {
        new_password(&args.password, stdin, "New user password")?
    };
    let new = NewUser {
        username,
        email,
        display_name: args
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?
            .flatten(),
        roles,
        password,
    };
    if new.password.is_some() {
        let created = Work::run(app, actor, Mode::Write, async |w| {
            users::create(w, new).await
        })
        .await
        .map_err(user_exists)?;
        print_user_line("User created", &created.user);
        return Ok(());
    }
    let invited = Work::run(app, actor, Mode::Write, async |w| {
        invitations::invite(w, new).await
    })
    .await
    .map_err(user_exists)?;
    print_user_line("User created", &invited.user);
    match invited.delivery.failure() {
        None => println!("Invitation emailed to {}", invited.user.user.email),
        Some(reason) => eprintln!(
            "Warning: the invitation email was not sent ({reason}); share the link below or resend it"
        ),
    }
    println!(
        "Invitation link (valid until {}): {}",
        invited.token.expires_at.format("%Y-%m-%d %H:%M UTC"),
        invitations::link(&app.config, &invited.token.secret)
    );
    Ok(())
}
