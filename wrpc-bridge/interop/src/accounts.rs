//! [`Accounts`]: a NATS operator and account of the test's own, for a nats-server in operator mode (JWT
//! authentication), and `.creds` files for users of that account or of one the server does not know.
//!
//! The JWTs are written here, as nats-server reads them: `{"typ":"JWT","alg":"ed25519-nkey"}`, claims with the
//! issuer's and subject's public keys and a `nats` section, each part base64url without padding, signed with the
//! issuer's nkey.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nkeys::KeyPair;
use serde_json::{Value, json};

use crate::temp_file::TempFile;

/// No limit, in a JWT's limits.
const UNLIMITED: i64 = -1;

/// An operator and one account it signed.
pub struct Accounts {
    operator: KeyPair,
    account: KeyPair,
}

/// A `.creds` file: a user's JWT and nkey seed.
pub struct CredentialsFile(TempFile);

impl CredentialsFile {
    /// Where the file is.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Accounts {
    /// A fresh operator and account.
    #[must_use]
    pub fn new() -> Self {
        Accounts { operator: KeyPair::new_operator(), account: KeyPair::new_account() }
    }

    /// nats-server configuration trusting the operator, with the account preloaded.
    #[must_use]
    pub fn nats_server_config(&self) -> String {
        let operator = jwt(&self.operator, &self.operator.public_key(), json!({"type": "operator", "version": 2}));
        let limits = json!({
            "subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED, "imports": UNLIMITED,
            "exports": UNLIMITED, "conn": UNLIMITED, "leaf": UNLIMITED, "wildcards": true,
        });
        let account =
            jwt(&self.operator, &self.account.public_key(), json!({"type": "account", "version": 2, "limits": limits}));
        format!(
            "operator: {operator}\nresolver: MEMORY\nresolver_preload: {{\n  {}: {account}\n}}\n",
            self.account.public_key()
        )
    }

    /// Credentials of a new user of the account.
    #[must_use]
    pub fn user(&self) -> CredentialsFile {
        credentials(&self.account)
    }

    /// Credentials of a user of an account the server does not know.
    #[must_use]
    pub fn stranger() -> CredentialsFile {
        credentials(&KeyPair::new_account())
    }
}

impl Default for Accounts {
    fn default() -> Self {
        Self::new()
    }
}

/// A new user signed by `account`, as a `.creds` file.
fn credentials(account: &KeyPair) -> CredentialsFile {
    let user = KeyPair::new_user();
    let claims = json!({
        "type": "user", "version": 2, "pub": {}, "sub": {},
        "subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED,
    });
    let jwt = jwt(account, &user.public_key(), claims);
    let seed = user.seed().unwrap_or_else(|e| panic!("a new user key has no seed: {e}"));
    let contents = format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    );
    CredentialsFile(TempFile::with_contents("user.creds", &contents))
}

/// A JWT about `subject`, signed by `issuer`, with `nats` as its NATS claims.
fn jwt(issuer: &KeyPair, subject: &str, nats: Value) -> String {
    let issued = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = json!({"jti": subject, "iat": issued, "iss": issuer.public_key(), "sub": subject, "nats": nats});
    let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = issuer.sign(signed.as_bytes()).unwrap_or_else(|e| panic!("cannot sign a JWT: {e}"));
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}
