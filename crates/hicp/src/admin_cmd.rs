//! `hicp admin`: account administration from the command line, on the same database as
//! `hicp serve` (e.g. to create the first administrator on a server without a browser).

use crate::InvalidInput;
use crate::serve_cmd::{DatabaseArgs, redact};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a user account. The password is read from HICP_PASSWORD, or asked for (hidden)
    /// when standard input is a terminal, or read as the first line of standard input.
    CreateUser(CreateUserArgs),
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
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .context("reading the password")?;
        if let Some(problem) = hicp_web::auth::password_problem(&first) {
            return Err(InvalidInput(format!("password: {problem}")).into());
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
    if let Some(problem) = hicp_web::auth::password_problem(&password) {
        return Err(InvalidInput(format!("password: {problem}")).into());
    }
    let url = args.db.url()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let store = DatabaseArgs::open(&url).await?;
        if store
            .user_by_email(&email)
            .await
            .context("reading users")?
            .is_some()
        {
            return Err(InvalidInput(format!("--email: an account for {email} already exists")).into());
        }
        let first = store.count_users().await.context("reading users")? == 0;
        let is_admin = args.admin || first;
        let hash = tokio::task::spawn_blocking(move || hicp_web::auth::hash_password(&password))
            .await
            .context("hashing the password")?
            .context("hashing the password")?;
        let user = store
            .create_user(&hicp_store::NewUser {
                email: &email,
                display_name: &name,
                password_hash: &hash,
                is_admin,
            })
            .await
            .context("creating the account")?;
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
        if first && !args.admin {
            writeln!(
                out,
                "It is the first account, so it is an administrator: someone has to manage the installation."
            )?;
        }
        Ok(())
    })
}
