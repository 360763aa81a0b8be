//! TLS for `wss://` servers: the system's root certificates, plus the CA certificates of
//! `opentim_tls_ca_file` for a deployment with its own CA.

use std::path::Path;
use std::sync::Arc;

use opentim_model::codes;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::error::SdkError;

/// The client's TLS settings.
pub fn client_config(extra_ca: Option<&Path>) -> Result<Arc<ClientConfig>, SdkError> {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for e in &system.errors {
        tracing::debug!(error = %e, "a system certificate could not be loaded");
    }
    let (added, ignored) = roots.add_parsable_certificates(system.certs);
    tracing::debug!(added, ignored, "system root certificates");
    if let Some(path) = extra_ca {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|c| c.collect())
            .map_err(|e| {
                SdkError::new(
                    codes::ERR_INVALID_PARAMETERS,
                    format!("opentim_tls_ca_file {}: {e}", path.display()),
                )
            })?;
        if certs.is_empty() {
            return Err(SdkError::new(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "opentim_tls_ca_file {} holds no certificate",
                    path.display()
                ),
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                SdkError::new(
                    codes::ERR_INVALID_PARAMETERS,
                    format!("opentim_tls_ca_file {}: {e}", path.display()),
                )
            })?;
        }
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| SdkError::new(codes::ERR_SDK_NET_DISCONNECT, format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Whether a connection failed because the server's certificate is not trusted: not worth
/// retrying, and the user must be told what to do.
pub fn untrusted_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(rustls::Error::InvalidCertificate(why)) = err.downcast_ref::<rustls::Error>() {
            return Some(format!("{why:?}"));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = untrusted_certificate(inner) {
                    return Some(found);
                }
            }
        }
        cur = err.source();
    }
    None
}
