//! Authorization of state-changing calls: root, or polkit's verdict on the caller.

use std::collections::HashMap;

use zbus::message::Header;
use zbus::zvariant::Value;
use zbus::Connection;

use super::error::{Error, Result};

/// Polkit action ids, as packaging/polkit/org.hwupd.policy defines them.
pub mod actions {
    pub const REFRESH: &str = "org.hwupd.refresh";
    pub const STAGE: &str = "org.hwupd.stage";
    pub const APPLY: &str = "org.hwupd.apply";
    pub const CONFIGURE: &str = "org.hwupd.configure";
}

type Subject<'a> = (&'a str, HashMap<&'a str, Value<'a>>);

#[zbus::proxy(
    interface = "org.freedesktop.PolicyKit1.Authority",
    default_service = "org.freedesktop.PolicyKit1",
    default_path = "/org/freedesktop/PolicyKit1/Authority"
)]
trait Authority {
    fn check_authorization(
        &self,
        subject: &Subject<'_>,
        action_id: &str,
        details: HashMap<&str, &str>,
        flags: u32,
        cancellation_id: &str,
    ) -> zbus::Result<(bool, bool, HashMap<String, String>)>;
}

/// Polkit's AllowUserInteraction flag: an agent may ask the user for a password.
const ALLOW_USER_INTERACTION: u32 = 1;

/// Allows the call when the caller is root or polkit authorizes `action` for
/// the caller (the subject is the caller's bus name, never the daemon).
pub async fn authorize(connection: &Connection, header: &Header<'_>, action: &str) -> Result<()> {
    let sender = header
        .sender()
        .ok_or_else(|| Error::NotAuthorized("the call has no sender".to_string()))?
        .to_string();
    if caller_uid(connection, &sender).await? == 0 {
        return Ok(());
    }
    check_polkit(connection, &sender, action).await
}

async fn caller_uid(connection: &Connection, sender: &str) -> Result<u32> {
    let dbus = zbus::fdo::DBusProxy::new(connection).await?;
    let name = zbus::names::BusName::try_from(sender)
        .map_err(|e| Error::NotAuthorized(format!("invalid sender {sender}: {e}")))?;
    dbus.get_connection_unix_user(name)
        .await
        .map_err(|e| Error::NotAuthorized(format!("looking up the caller's user failed: {e}")))
}

async fn check_polkit(connection: &Connection, sender: &str, action: &str) -> Result<()> {
    let denied = |why: String| Error::NotAuthorized(format!("{action} denied: {why}"));
    let authority = AuthorityProxy::new(connection)
        .await
        .map_err(|e| denied(e.to_string()))?;
    let details: HashMap<&str, Value<'_>> = HashMap::from([("name", Value::from(sender))]);
    let subject = ("system-bus-name", details);
    let reply = authority
        .check_authorization(&subject, action, HashMap::new(), ALLOW_USER_INTERACTION, "")
        .await;
    match reply {
        Ok((true, _, _)) => Ok(()),
        Ok((false, _, _)) => Err(denied("polkit did not authorize the caller".to_string())),
        Err(error) => {
            tracing::warn!(%action, %sender, %error, "polkit check failed");
            Err(denied(format!(
                "polkit is not available ({error}); run hwupctl as root"
            )))
        }
    }
}
