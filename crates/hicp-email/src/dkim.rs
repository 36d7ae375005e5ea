//! DKIM public key records (RFC 6376 3.6.1, RFC 8463 for Ed25519): key type and length.

use crate::tags;
use base64::Engine;
use serde::Serialize;

/// What a selector's key record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DkimKey {
    Rsa {
        bits: u32,
    },
    Ed25519,
    /// `p=` is empty: the key was withdrawn.
    Revoked,
    /// A `k=` we do not know.
    Other {
        key_type: String,
    },
}

/// A parsed key record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimRecord {
    pub key: DkimKey,
    /// `t=y`: the domain is testing DKIM, and verifiers treat failures as if unsigned.
    pub testing: bool,
}

/// Parses a key record's text.
pub fn parse(text: &str) -> Result<DkimRecord, String> {
    let tags = tags::parse(text)?;
    if let Some(first) = tags.first()
        && first.name == "v"
        && first.value != "DKIM1"
    {
        return Err(format!("v={} is not DKIM1", first.value));
    }
    if tags.iter().skip(1).any(|t| t.name == "v") {
        return Err("v= must be the first tag".into());
    }
    let k = tags::get(&tags, "k").unwrap_or("rsa").to_ascii_lowercase();
    let Some(p) = tags::get(&tags, "p") else {
        return Err("the record has no p= (public key) tag".into());
    };
    let testing = tags::get(&tags, "t")
        .is_some_and(|t| t.split(':').any(|f| f.trim().eq_ignore_ascii_case("y")));
    // Base64 in DNS may be broken up by white space (RFC 6376 3.6.1).
    let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if p.is_empty() {
        return Ok(DkimRecord {
            key: DkimKey::Revoked,
            testing,
        });
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(p.as_bytes())
        .map_err(|e| format!("p= is not valid base64 ({e})"))?;
    let key = match k.as_str() {
        "rsa" => DkimKey::Rsa {
            bits: rsa_modulus_bits(&der)?,
        },
        "ed25519" => {
            if der.len() != 32 {
                return Err(format!(
                    "an Ed25519 key is 32 bytes, this one is {}",
                    der.len()
                ));
            }
            DkimKey::Ed25519
        }
        other => DkimKey::Other {
            key_type: other.to_owned(),
        },
    };
    Ok(DkimRecord { key, testing })
}

/// One DER element: tag, contents, and the rest after it.
fn der(input: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let short = || "the key data ends early".to_string();
    let (&tag, rest) = input.split_first().ok_or_else(short)?;
    let (&len0, mut rest) = rest.split_first().ok_or_else(short)?;
    let len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("the key data has a bad length".into());
        }
        let mut l = 0usize;
        for &b in &rest[..n] {
            l = (l << 8) | usize::from(b);
        }
        rest = &rest[n..];
        l
    };
    if rest.len() < len {
        return Err(short());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The modulus length of an RSA key given as SubjectPublicKeyInfo (what RFC 6376 asks
/// for) or as a bare PKCS#1 RSAPublicKey (which some publish anyway).
pub fn rsa_modulus_bits(data: &[u8]) -> Result<u32, String> {
    let (tag, body, _) = der(data)?;
    if tag != SEQUENCE {
        return Err("the key is not a DER sequence".into());
    }
    let (first_tag, first, rest) = der(body)?;
    let rsa_key = match first_tag {
        INTEGER => body,
        SEQUENCE => {
            let (oid_tag, oid, _) = der(first)?;
            if oid_tag != OID || oid != RSA_OID {
                return Err("the key is not an RSA key".into());
            }
            let (bs_tag, bits, _) = der(rest)?;
            if bs_tag != BIT_STRING || bits.first() != Some(&0) {
                return Err("the key's bit string is malformed".into());
            }
            let (seq_tag, inner, _) = der(&bits[1..])?;
            if seq_tag != SEQUENCE {
                return Err("the RSA key is not a DER sequence".into());
            }
            inner
        }
        _ => return Err("the key is neither SubjectPublicKeyInfo nor RSAPublicKey".into()),
    };
    let (n_tag, n, _) = der(rsa_key)?;
    if n_tag != INTEGER {
        return Err("the RSA modulus is missing".into());
    }
    let n: &[u8] = {
        let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
        &n[start..]
    };
    let Some(&top) = n.first() else {
        return Err("the RSA modulus is zero".into());
    };
    let len = u32::try_from(n.len()).map_err(|_| "the RSA modulus is too long".to_string())?;
    Ok(len * 8 - top.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    // A real 1024-bit key (generated with openssl for these tests; never used to sign).
    const RSA1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC2ZYYQKr5HFyGkUfh5pTv37eHEmSToc2zxQXOxXAbHaztgwQO8GGeh4ZEx5if6VO4WH1PU0Ut8TXuXqVf3AQ8qYZtI8Y9bGIM2CoLwyZ3JFd3rR+53ugu8YX8DzmpbNah5v2qEuePQyons8NeTynujshTOU9LZaPOfmBc4rnTrMQIDAQAB";

    #[test]
    fn rsa_lengths() {
        let r = parse(&format!("v=DKIM1; k=rsa; p={RSA1024}")).unwrap();
        assert_eq!(r.key, DkimKey::Rsa { bits: 1024 });
        assert!(!r.testing);
        assert_eq!(parse("v=DKIM1; p=").unwrap().key, DkimKey::Revoked);
        assert!(parse("v=DKIM1; t=y; p=").unwrap().testing);
        assert!(parse("v=DKIM1; p=!!!").is_err());
        assert!(parse("v=DKIM1; p=AAAA").is_err());
        assert!(parse("k=rsa").is_err());
        let ed = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            parse(&format!("v=DKIM1; k=ed25519; p={ed}")).unwrap().key,
            DkimKey::Ed25519
        );
    }
}
