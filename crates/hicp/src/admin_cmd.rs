//! `hicp admin`: account administration from the command line, on the same database as
//! `hicp serve` (e.g. to create the first administrator on a server without a browser).

use crate::InvalidInput;
use crate::serve_cmd::{DatabaseArgs, MailArgs, redact};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a user account. The password is read from HICP_PASSWORD, or asked for (hidden)
    /// when standard input is a terminal, or read as the first line of standard input.
    CreateUser(CreateUserArgs),
    /// Create a personal API token for an account and print it (it is shown only this once).
    CreateToken(CreateTokenArgs),
    /// Set a temporary password for an account and print it (shown only this once). The
    /// person must choose their own at the next sign-in; their sessions end now. With
    /// --link (needs mail: --smtp-url, --mail-from, --public-url), email them a one-time
    /// link to choose a new password instead.
    ResetPassword(ResetPasswordArgs),
    /// Turn two-step sign-in off for someone who lost their phone and recovery codes; their
    /// sessions end, and they can set it up again after signing in with their password.
    ResetMfa(AccountArgs),
    /// Disable an account: it cannot sign in, and its sessions end now.
    Disable(AccountArgs),
    /// Enable a disabled account again.
    Enable(AccountArgs),
    /// List the accounts of the installation.
    Users(UsersArgs),
}

#[derive(Args)]
pub struct AccountArgs {
    /// The account's email address.
    #[arg(long)]
    email: String,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Args)]
pub struct ResetPasswordArgs {
    /// The account's email address.
    #[arg(long)]
    email: String,
    /// Email the person a one-time link to choose a new password (it works once, for 72
    /// hours) instead of printing a temporary password. Nothing changes until they use it.
    #[arg(long)]
    link: bool,
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum UsersFormat {
    Table,
    Json,
}

#[derive(Args)]
pub struct UsersArgs {
    #[arg(long, value_enum, default_value_t = UsersFormat::Table)]
    format: UsersFormat,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Args)]
pub struct CreateTokenArgs {
    /// The account the token acts for.
    #[arg(long)]
    email: String,
    /// A name to recognize the token by (e.g. "GRC sync").
    #[arg(long, default_value = "API token")]
    name: String,
    /// The token may only read, whatever the account's roles.
    #[arg(long)]
    read_only: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Args)]
pub struct CreateUserArgs {
    /// The email address the person signs in with.
    #[arg(long)]
    email: String,
    /// The person's name, as shown in the application.
    #[arg(long)]
    name: String,
    /// Make the account an installation administrator (creates organizations, manages all).
    /// The first account of an installation is always an administrator.
    #[arg(long)]
    admin: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

pub fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateUser(args) => create_user(args),
        AdminCommand::CreateToken(args) => create_token(args),
        AdminCommand::ResetPassword(args) => reset_password(args),
        AdminCommand::ResetMfa(args) => reset_mfa(args),
        AdminCommand::Disable(args) => set_disabled(args, true),
        AdminCommand::Enable(args) => set_disabled(args, false),
        AdminCommand::Users(args) => users(args),
    }
}

/// The new password: `HICP_PASSWORD`, else typed twice without echo on a terminal, else the
/// first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("HICP_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password(format!(
            "Password (at least {} characters): ",
            hicp_app::MIN_PASSWORD_CHARS
        ))
        .context("reading the password")?;
        if let Some(problem) = hicp_app::password_problem(&first, "", false) {
            return Err(InvalidInput(format!("password: {}", password_words(&problem))).into());
        }
        let again = rpassword::prompt_password("The same password again: ")
            .context("reading the password")?;
        if again != first {
            return Err(InvalidInput("password: the two passwords differ".into()).into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn create_user(args: CreateUserArgs) -> anyhow::Result<()> {
    let email = args.email.trim().to_lowercase();
    let name = args.name.trim().to_owned();
    if !email.contains('@') {
        return Err(InvalidInput(format!("--email: \"{email}\" is not an email address")).into());
    }
    if name.is_empty() {
        return Err(InvalidInput("--name: give the person's name".into()).into());
    }
    let password = read_password()?;
    if let Some(problem) = hicp_app::password_problem(&password, &email, false) {
        return Err(InvalidInput(format!("password: {}", password_words(&problem))).into());
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let (app, url) = open_app(&args.db).await?;
        let operator = app.operator();
        let user = match app
            .create_user(&operator, &email, &name, &password, args.admin)
            .await
        {
            Ok(u) => u,
            Err(hicp_app::Error::Invalid {
                field: "email",
                problem: hicp_app::Problem::AlreadyApplies,
            }) => {
                return Err(
                    InvalidInput(format!("--email: an account for {email} already exists")).into(),
                );
            }
            Err(e) => return Err(anyhow::Error::new(e).context("creating the account")),
        };
        let is_admin = user.is_admin;
        let first = is_admin && !args.admin;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Created the {} of {} <{}> (database: {}).",
            if is_admin {
                "administrator account"
            } else {
                "account"
            },
            user.display_name,
            user.email,
            redact(&url)
        )?;
        if first {
            writeln!(
                out,
                "It is the first account, so it is an administrator: someone has to manage the installation."
            )?;
        }
        Ok(())
    })
}

/// The application over the database of `db` (migrated), with the built-in catalog.
async fn open_app(db: &DatabaseArgs) -> anyhow::Result<(hicp_app::App, String)> {
    open_app_with(db, hicp_app::Settings::default()).await
}

async fn open_app_with(
    db: &DatabaseArgs,
    settings: hicp_app::Settings,
) -> anyhow::Result<(hicp_app::App, String)> {
    let url = db.url()?;
    let store = DatabaseArgs::open(&url).await?;
    let catalog = crate::source::catalog(None)?;
    Ok((hicp_app::App::new(store, catalog, settings), url))
}

fn create_token(args: CreateTokenArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let (app, url) = open_app(&args.db).await?;
        let made = match app
            .create_token_for(&app.operator(), &args.email, &args.name, args.read_only)
            .await
        {
            Ok(t) => t,
            Err(hicp_app::Error::Invalid { field: "email", .. }) => {
                return Err(InvalidInput(format!(
                    "--email: no account for {} (create it with `hicp admin create-user`)",
                    args.email.trim()
                ))
                .into());
            }
            Err(e) => return Err(anyhow::Error::new(e).context("creating the token")),
        };
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Created the {} token \"{}\" for {} (database: {}). It is shown only this once:",
            if made.token.read_only {
                "read-only"
            } else {
                "read-write"
            },
            made.token.name,
            args.email.trim(),
            redact(&url)
        )?;
        writeln!(out, "{}", made.secret)?;
        Ok(())
    })
}

fn password_words(p: &hicp_app::Problem) -> String {
    match p {
        hicp_app::Problem::TooShort { min } => {
            format!("use at least {min} characters; a short sentence is easy to remember")
        }
        hicp_app::Problem::TooLong { max } => format!("use at most {max} characters"),
        hicp_app::Problem::Common => "this password is too easy to guess (it is on a list of common or leaked passwords, repeats one character, or contains the email's name)".to_owned(),
        other => format!("{other:?}"),
    }
}

/// An unknown email is bad input (exit 2), named in the message.
fn no_account(email: &str) -> anyhow::Error {
    InvalidInput(format!("--email: no account for {}", email.trim())).into()
}

fn reset_password(args: ResetPasswordArgs) -> anyhow::Result<()> {
    // Checked before the database is opened: a missing or malformed option is named. Only
    // with --link: a temporary password needs no mail, even where mail is misconfigured.
    let mail = if args.link {
        args.mail.outbox()?
    } else {
        hicp_app::Outbox::default()
    };
    if args.link && !mail.is_configured() {
        return Err(InvalidInput(
            "--link needs email set up: give --smtp-url, --mail-from and --public-url \
             (or HICP_SMTP_URL, HICP_MAIL_FROM and HICP_PUBLIC_URL), as for `hicp serve`; \
             without --link, a temporary password is printed instead"
                .into(),
        )
        .into());
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        if args.link {
            return reset_by_link(&args, mail).await;
        }
        let (app, url) = open_app(&args.db).await?;
        let temporary = match app.reset_password(&app.operator(), &args.email).await {
            Ok(t) => t,
            Err(hicp_app::Error::NotFound) => return Err(no_account(&args.email)),
            Err(e) => return Err(anyhow::Error::new(e).context("resetting the password")),
        };
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Set a temporary password for {} (database: {}); their sessions have ended. \
             They must choose their own at the next sign-in. It is shown only this once:",
            args.email.trim(),
            redact(&url)
        )?;
        writeln!(out, "{temporary}")?;
        Ok(())
    })
}

/// `reset-password --link`: emails a one-time link; nothing changes until it is used.
async fn reset_by_link(args: &ResetPasswordArgs, mail: hicp_app::Outbox) -> anyhow::Result<()> {
    let settings = hicp_app::Settings {
        mail,
        ..hicp_app::Settings::default()
    };
    let (app, _) = open_app_with(&args.db, settings).await?;
    let email = args.email.trim().to_lowercase();
    match app.send_reset_link(&app.operator(), &email).await {
        Ok(hicp_app::Emailed::Sent) => {
            println!(
                "Emailed {email} a link to choose a new password (it works once, for {} hours). \
                 Their password and sessions stay as they are until they use it.",
                hicp_app::LINK_HOURS
            );
            Ok(())
        }
        // Audited with the mail server's answer; no link is left working.
        Ok(hicp_app::Emailed::Failed(e)) => {
            anyhow::bail!("the email to {email} could not be sent, so nothing changed: {e}")
        }
        Err(hicp_app::Error::NotFound) => Err(no_account(&email)),
        Err(e) => Err(anyhow::Error::new(e).context("emailing a reset link")),
    }
}

fn reset_mfa(args: AccountArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let (app, _) = open_app(&args.db).await?;
        match app.reset_totp(&app.operator(), &args.email).await {
            Ok(()) => {}
            Err(hicp_app::Error::NotFound) => return Err(no_account(&args.email)),
            Err(e) => return Err(anyhow::Error::new(e).context("turning two-step sign-in off")),
        }
        println!(
            "Two-step sign-in is off for {}; their sessions have ended.",
            args.email.trim()
        );
        Ok(())
    })
}

fn set_disabled(args: AccountArgs, disabled: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let (app, _) = open_app(&args.db).await?;
        let user = match app
            .set_account_disabled(&app.operator(), &args.email, disabled)
            .await
        {
            Ok(u) => u,
            Err(hicp_app::Error::NotFound) => return Err(no_account(&args.email)),
            Err(e) => return Err(anyhow::Error::new(e).context("changing the account")),
        };
        if disabled {
            println!("Disabled {}; their sessions have ended.", user.email);
        } else {
            println!("Enabled {}: they can sign in again.", user.email);
        }
        Ok(())
    })
}

fn users(args: UsersArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let (app, _) = open_app(&args.db).await?;
        let users = app.users(&app.operator()).await?;
        let rfc3339 = hicp_app::rfc3339;
        match args.format {
            UsersFormat::Json => {
                let list: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "id": u.id.as_str(),
                            "email": u.email,
                            "name": u.display_name,
                            "installation_admin": u.is_admin,
                            "disabled": u.disabled_at.is_some(),
                            "must_change_password": u.must_change_password,
                            "created_at": rfc3339(u.created_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            }
            UsersFormat::Table => {
                let mut t = crate::assess_text::table(&[
                    "email",
                    "name",
                    "installation admin",
                    "state",
                    "created",
                ]);
                for u in &users {
                    t.add_row([
                        u.email.clone(),
                        u.display_name.clone(),
                        if u.is_admin { "yes" } else { "no" }.to_owned(),
                        match (u.disabled_at.is_some(), u.must_change_password) {
                            (true, _) => "disabled",
                            (false, true) => "must choose a password",
                            (false, false) => "active",
                        }
                        .to_owned(),
                        rfc3339(u.created_at),
                    ]);
                }
                println!("{t}");
            }
        }
        Ok(())
    })
}
