//! The SMTP client (lettre over Tokio, TLS from the system OpenSSL): built once from `[smtp]`,
//! it sends one plain-text message per call. Failures come back as the error's class and SMTP
//! code only: a server's text may quote the recipient's address, and it ends up in the database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::MailError;
use crate::config::smtp::{SmtpConfig, SmtpSecurity};

/// How long one SMTP command may take before the attempt fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A message ready to go.
pub struct Outgoing {
    pub to: Mailbox,
    pub subject: String,
    /// Plain text (the Markdown of the summary).
    pub body: String,
}

/// The configured mail server.
pub struct Mailer {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

/// Reads the password: the first line of the file, which must not be empty.
fn read_password(path: &std::path::Path) -> Result<String, MailError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MailError::Config(format!("smtp.password_file: cannot read {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r').to_string();
    if line.is_empty() {
        return Err(MailError::Config(format!("smtp.password_file: {} is empty", path.display())));
    }
    Ok(line)
}

impl Mailer {
    /// Builds the client: reads the password file, sets up TLS. Connects to nothing yet.
    pub fn from_config(c: &SmtpConfig) -> Result<Mailer, MailError> {
        c.validate().map_err(MailError::Config)?;
        let from: Mailbox = c.from.parse().map_err(|e| MailError::Config(format!("smtp.from: {:?}: {e}", c.from)))?;
        let tls = |e: lettre::transport::smtp::Error| MailError::Config(format!("smtp: TLS setup for {}: {e}", c.host));
        let builder = match c.security {
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).map_err(tls)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).map_err(tls)?,
            // Loopback only (checked by `validate`): a relay on this machine.
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.trim()),
        };
        let mut builder = builder.port(c.port()).timeout(Some(COMMAND_TIMEOUT));
        if let (Some(user), Some(file)) = (&c.username, &c.password_file) {
            builder = builder.credentials(Credentials::new(user.clone(), read_password(file)?));
        }
        Ok(Mailer { from, transport: builder.build() })
    }

    /// Sends one message; `Err` carries the failure's class and SMTP code.
    pub async fn send(&self, m: Outgoing, date: DateTime<Utc>) -> Result<(), String> {
        // A Message-ID in the sender's domain (lettre would otherwise leave it to the relay).
        let id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), self.from.email.domain());
        let message = Message::builder()
            .message_id(Some(id))
            .from(self.from.clone())
            .to(m.to)
            .subject(m.subject)
            .date(date.into())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body)
            .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| describe(&e))
    }
}

/// The class of an SMTP failure and its code, without the server's words.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let class = if e.is_permanent() {
        "refused by the mail server"
    } else if e.is_transient() {
        "deferred by the mail server"
    } else if e.is_timeout() {
        "the mail server did not answer in time"
    } else if e.is_tls() {
        "TLS with the mail server failed"
    } else if e.is_response() {
        "the mail server's answer was not understood"
    } else {
        "could not talk to the mail server"
    };
    match e.status() {
        Some(code) => format!("{class} (SMTP {code})"),
        None => class.to_string(),
    }
}
