//! The `[smtp]` section of `node.toml`: where the weekly summaries are sent from, how the node
//! talks to the mail server, and when in the week it sends. Absent section: nothing is sent.
//! The password is never in `node.toml`: only the path of a file that holds it.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS before anything is sent (refused if the server
    /// cannot); port 587 by default.
    Starttls,
    /// TLS from the first byte (SMTPS); port 465 by default.
    Tls,
    /// No encryption at all; only for a mail relay on this machine (loopback host); port 25.
    None,
}

impl SmtpSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// A day of the week, as written in `node.toml` (`"monday"` … `"sunday"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendDay {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl SendDay {
    pub fn weekday(self) -> Weekday {
        match self {
            SendDay::Monday => Weekday::Mon,
            SendDay::Tuesday => Weekday::Tue,
            SendDay::Wednesday => Weekday::Wed,
            SendDay::Thursday => Weekday::Thu,
            SendDay::Friday => Weekday::Fri,
            SendDay::Saturday => Weekday::Sat,
            SendDay::Sunday => Weekday::Sun,
        }
    }
}

/// A time of day `HH:MM` (24-hour clock, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SendTime(pub NaiveTime);

impl TryFrom<String> for SendTime {
    type Error = String;
    fn try_from(s: String) -> Result<SendTime, String> {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map(SendTime)
            .map_err(|_| format!("{s:?} is not a time of day: expected HH:MM, e.g. \"07:00\""))
    }
}

impl From<SendTime> for String {
    fn from(t: SendTime) -> String {
        t.to_string()
    }
}

impl fmt::Display for SendTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

/// `[smtp]`: the mail server and the weekly schedule of the summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The mail server (submission host), e.g. `smtp.district.example`.
    pub host: String,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
    /// Login at the server, if it wants one (then `password_file` is required).
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password (first line; keep it mode 0600). Never the password itself.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The sender, e.g. `"Lincoln Middle School <lantern@lincoln.example>"`.
    pub from: String,
    /// The day the summaries go out, in `time_zone`.
    #[serde(default = "default_day")]
    pub send_day: SendDay,
    /// The time of day they go out, in `time_zone`.
    #[serde(default = "default_time")]
    pub send_time: SendTime,
    /// The clock `send_day` and `send_time` are read on: the node's local time (the server's time
    /// zone, as the retention policy's purge schedule) or UTC.
    #[serde(default = "default_zone")]
    pub time_zone: SendZone,
}

/// Which clock the send day and time are read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendZone {
    /// The server's time zone (`TZ`, else `/etc/localtime`).
    Local,
    Utc,
}

fn default_zone() -> SendZone {
    SendZone::Local
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

fn default_day() -> SendDay {
    SendDay::Monday
}

fn default_time() -> SendTime {
    SendTime(NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN))
}

/// Whether a host name is this machine: `localhost` or a loopback address.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpConfig {
    /// The port in use (the configured one, else the security's default).
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }

    /// The checks that need no file system: host, security, sender, credentials.
    pub fn validate(&self) -> Result<(), String> {
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("smtp.host: {:?} is not a host name", self.host));
        }
        if self.security == SmtpSecurity::None && !is_loopback_host(host) {
            return Err(format!(
                "smtp.security: \"none\" sends mail unencrypted and is only allowed to a relay on this machine \
                 (localhost, 127.0.0.1, ::1), not {host:?}; use \"starttls\" or \"tls\""
            ));
        }
        if self.port == Some(0) {
            return Err("smtp.port: must be between 1 and 65535".into());
        }
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("smtp.from: {:?} is not an e-mail address: {e}", self.from))?;
        match (&self.username, &self.password_file) {
            (Some(u), _) if u.trim().is_empty() => Err("smtp.username: must not be empty".into()),
            (Some(_), None) => Err("smtp.username: needs smtp.password_file (a file holding the password; \
                                    the password itself never goes in node.toml)"
                .into()),
            (None, Some(_)) => Err("smtp.password_file: needs smtp.username".into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::path::Path;

    use crate::config::NodeConfig;

    use super::*;

    fn load(text: &str) -> Result<NodeConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.toml");
        std::fs::write(&p, text).unwrap();
        NodeConfig::load(Some(&p), &[]).map_err(|e| e.to_string())
    }

    #[test]
    fn absent_section_means_no_mail_and_defaults_fill_the_rest() {
        assert_eq!(load("school_id = \"a\"\n").unwrap().smtp, None);
        let c = load("[smtp]\nhost = \"smtp.example.org\"\nfrom = \"Lantern <lantern@example.org>\"\n").unwrap();
        let s = c.smtp.unwrap();
        assert_eq!(
            (s.security, s.port(), s.send_day, s.send_time.to_string(), s.time_zone),
            (SmtpSecurity::Starttls, 587, SendDay::Monday, "07:00".into(), SendZone::Local)
        );
        let c = load(
            "[smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\nfrom = \"a@b.example\"\n\
             send_day = \"friday\"\nsend_time = \"16:30\"\ntime_zone = \"utc\"\n",
        )
        .unwrap();
        let s = c.smtp.unwrap();
        assert_eq!(
            (s.port(), s.send_day.weekday(), s.send_time.to_string(), s.time_zone),
            (2525, Weekday::Fri, "16:30".into(), SendZone::Utc)
        );
    }

    #[test]
    fn a_password_in_the_file_is_an_unknown_field() {
        let err =
            load("[smtp]\nhost = \"smtp.example.org\"\nfrom = \"a@b.example\"\npassword = \"hunter2\"\n").unwrap_err();
        assert!(err.contains("node.toml:4:1: unknown field `password`"), "{err}");
        assert!(!err.contains("hunter2"), "the value is never echoed: {err}");
    }

    #[test]
    fn unencrypted_only_to_this_machine() {
        let err =
            load("[smtp]\nhost = \"mail.example.org\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\n").unwrap_err();
        assert!(err.contains("smtp.security: \"none\"") && err.contains("\"mail.example.org\""), "{err}");
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            let c = load(&format!("[smtp]\nhost = \"{host}\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\n"));
            assert!(c.is_ok(), "{host}: {c:?}");
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            ("host = \"smtp.example.org\"\nfrom = \"not an address\"\n", "smtp.from"),
            (
                "host = \"smtp.example.org\"\nfrom = \"a@b.example\"\nusername = \"lantern\"\n",
                "smtp.username: needs smtp.password_file",
            ),
            (
                "host = \"smtp.example.org\"\nfrom = \"a@b.example\"\npassword_file = \"/p\"\n",
                "smtp.password_file: needs smtp.username",
            ),
            ("host = \"smtp.example.org\"\nfrom = \"a@b.example\"\nsend_time = \"7am\"\n", "expected HH:MM"),
            ("host = \"smtp.example.org\"\nfrom = \"a@b.example\"\nsend_day = \"someday\"\n", "someday"),
            ("host = \"smtp.example.org\"\nfrom = \"a@b.example\"\nsecurity = \"ssl\"\n", "ssl"),
            ("host = \"smtp.example.org\"\nfrom = \"a@b.example\"\ntime_zone = \"Europe/Paris\"\n", "Europe/Paris"),
            ("host = \"\"\nfrom = \"a@b.example\"\n", "smtp.host"),
            ("host = \"smtp.example.org\"\n", "missing field `from`"),
        ];
        for (body, want) in cases {
            let err = load(&format!("[smtp]\n{body}")).unwrap_err();
            assert!(err.contains(want), "{body}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn env_overrides_change_a_present_section() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.toml");
        std::fs::write(&p, "[smtp]\nhost = \"smtp.example.org\"\nfrom = \"a@b.example\"\n").unwrap();
        let env = vec![("LANTERN_SMTP_HOST".to_string(), "relay.example.org".to_string())];
        let c = NodeConfig::load(Some(Path::new(&p)), &env).unwrap();
        assert_eq!(c.smtp.unwrap().host, "relay.example.org");
    }
}
