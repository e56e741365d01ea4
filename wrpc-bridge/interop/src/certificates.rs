//! [`Certificates`]: a certificate authority of the test's own and a server certificate it signed for 127.0.0.1,
//! for a nats-server that requires TLS.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};

use crate::temp_file::TempFile;

/// A fresh certificate authority and a server certificate it signed for `127.0.0.1`, as PEM files.
pub struct Certificates {
    authority: TempFile,
    server: TempFile,
    server_key: TempFile,
}

impl Certificates {
    /// Generates the authority and the server certificate.
    ///
    /// # Panics
    /// When a key or certificate cannot be generated.
    #[must_use]
    pub fn for_loopback() -> Self {
        let mut authority = CertificateParams::default();
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        authority.distinguished_name.push(DnType::CommonName, "wrpc-bridge test authority");
        let authority_key = KeyPair::generate().unwrap_or_else(|e| panic!("cannot generate a key: {e}"));
        let authority = CertifiedIssuer::self_signed(authority, authority_key)
            .unwrap_or_else(|e| panic!("cannot sign the authority's certificate: {e}"));

        let mut server = CertificateParams::default();
        server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        server.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let server_key = KeyPair::generate().unwrap_or_else(|e| panic!("cannot generate a key: {e}"));
        let server = server
            .signed_by(&server_key, &authority)
            .unwrap_or_else(|e| panic!("cannot sign the server's certificate: {e}"));

        Certificates {
            authority: TempFile::with_contents("authority.pem", &authority.pem()),
            server: TempFile::with_contents("server.pem", &server.pem()),
            server_key: TempFile::with_contents("server-key.pem", &server_key.serialize_pem()),
        }
    }

    /// The authority's certificate: the root a client verifies the server with.
    #[must_use]
    pub fn authority(&self) -> &Path {
        self.authority.path()
    }

    /// nats-server configuration that requires TLS with the server certificate.
    #[must_use]
    pub fn nats_server_tls(&self) -> String {
        format!(
            "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n}}\n",
            self.server.path().display().to_string(),
            self.server_key.path().display().to_string(),
        )
    }
}
