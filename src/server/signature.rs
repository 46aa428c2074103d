//! `X-Hub-Signature-256`: HMAC-SHA256 of the exact body bytes, hex, prefixed `sha256=`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::settings::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header value GitHub would send for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is a valid signature of `body` under any of `secrets` (several are accepted
/// while a secret is being rotated). The comparison is constant-time (`Mac::verify_slice`).
pub fn verify(secrets: &[Secret], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let mut expected = [0u8; 32];
    if hex::decode_to_slice(hex_digest, &mut expected).is_err() {
        return false;
    }
    secrets.iter().any(|secret| {
        HmacSha256::new_from_slice(secret.expose())
            .map(|mut mac| {
                mac.update(body);
                mac.verify_slice(&expected).is_ok()
            })
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's published example (docs: "Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_test_vector() {
        assert_eq!(sign(SECRET.as_bytes(), BODY), SIGNATURE);
        assert!(verify(&[Secret::new(SECRET)], BODY, SIGNATURE));
    }

    #[test]
    fn any_of_several_secrets() {
        let secrets = [Secret::new("old"), Secret::new(SECRET)];
        assert!(verify(&secrets, BODY, SIGNATURE));
    }

    #[test]
    fn tampering_is_rejected() {
        let secrets = [Secret::new(SECRET)];
        assert!(!verify(&secrets, b"Hello, World?", SIGNATURE));
        assert!(!verify(&[Secret::new("wrong")], BODY, SIGNATURE));
        let flipped = SIGNATURE.replace("757107", "757108");
        assert!(!verify(&secrets, BODY, &flipped));
        assert!(!verify(&secrets, BODY, &SIGNATURE[..SIGNATURE.len() - 2]));
        assert!(!verify(
            &secrets,
            BODY,
            SIGNATURE.trim_start_matches("sha256=")
        ));
        assert!(!verify(
            &secrets,
            BODY,
            &SIGNATURE.replace("sha256=", "sha1=")
        ));
        assert!(!verify(&secrets, BODY, "sha256=zz"));
        assert!(!verify(&secrets, BODY, ""));
        assert!(!verify(&[], BODY, SIGNATURE));
    }
}
