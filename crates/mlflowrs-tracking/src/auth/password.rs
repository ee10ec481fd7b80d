//! Password hashes in werkzeug's format, the one MLflow's auth store writes
//! (`scrypt:32768:8:1$<salt>$<hex>`), so a user table either server wrote
//! can be read by the other. Older `pbkdf2:sha256:<iterations>` hashes are
//! verified too.

use hmac::digest::KeyInit;
use hmac::Mac;
use sha2::Sha256;

const SALT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// werkzeug's default: scrypt with n = 2^15, r = 8, p = 1, 64-byte key.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = random_salt()?;
    let digest = scrypt_hex(password, &salt, 15, 8, 1)?;
    Ok(format!("scrypt:32768:8:1${salt}${digest}"))
}

/// Checks `password` against a stored hash in constant time. An unknown or
/// malformed method verifies nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    let mut parts = stored.splitn(3, '$');
    let (Some(method), Some(salt), Some(want)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let got = match method.split(':').collect::<Vec<_>>().as_slice() {
        ["scrypt", n, r, p] => {
            let (Ok(n), Ok(r), Ok(p)) = (n.parse::<u64>(), r.parse::<u32>(), p.parse::<u32>())
            else {
                return false;
            };
            // A power of two no larger than werkzeug would ever write times 32.
            if !n.is_power_of_two() || n > 1 << 20 || r > 64 || p > 16 {
                return false;
            }
            scrypt_hex(password, salt, n.trailing_zeros() as u8, r, p)
        }
        ["pbkdf2", "sha256", iterations] => {
            let Ok(rounds) = iterations.parse::<u32>() else {
                return false;
            };
            if rounds == 0 || rounds > 10_000_000 {
                return false;
            }
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), rounds, &mut out);
            Ok(hex(&out))
        }
        _ => return false,
    };
    got.is_ok_and(|g| constant_time_eq(g.as_bytes(), want.as_bytes()))
}

fn scrypt_hex(password: &str, salt: &str, log_n: u8, r: u32, p: u32) -> Result<String, String> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| e.to_string())?;
    let mut out = [0u8; 64];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(hex(&out))
}

fn random_salt() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a salt: {e}"))?;
    // Bytes of 248 and above are dropped so every character is equally likely.
    let mut salt = String::with_capacity(16);
    let mut pool = bytes.to_vec();
    while salt.len() < 16 {
        for b in pool.drain(..) {
            if salt.len() == 16 {
                break;
            }
            if (b as usize) < 248 {
                salt.push(SALT_CHARS[b as usize % 62] as char);
            }
        }
        if salt.len() < 16 {
            pool = vec![0u8; 16];
            getrandom::fill(&mut pool).map_err(|e| format!("no randomness for a salt: {e}"))?;
        }
    }
    Ok(salt)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A keyed digest of a password, for remembering which credentials were
/// verified without keeping them: the key lives only in this process.
pub struct Fingerprint {
    key: [u8; 32],
}

impl Fingerprint {
    pub fn new() -> Result<Fingerprint, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness for a key: {e}"))?;
        Ok(Fingerprint { key })
    }

    pub fn of(&self, username: &str, password: &str) -> [u8; 32] {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        mac.update(username.as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_what_it_hashes_and_nothing_else() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("scrypt:32768:8:1$"));
        assert_eq!(h.split('$').nth(1).unwrap().len(), 16);
        assert_eq!(h.split('$').nth(2).unwrap().len(), 128);
        assert!(verify(&h, "correct horse battery"));
        assert!(!verify(&h, "correct horse batterY"));
        assert!(!verify("plain", "plain"));
        assert!(!verify("scrypt:3:8:1$salt$00", "x"));
    }

    #[test]
    fn reads_werkzeug_hashes() {
        // werkzeug 3.1's generate_password_hash("alicepassword1"), with its
        // default method and with "pbkdf2:sha256:1000".
        let scrypt = "scrypt:32768:8:1$sWZq8KFXK2Q6Oxls$c641c12af429ba84b890584175faf8f7f156dcb2cfb9611024e138df6bcd712e02d38a2ca5ec9a06d24675f6f14548f698facbccaf057e6123d50342293243d4";
        let pbkdf2 = "pbkdf2:sha256:1000$UJ17lQp7bQcUJKEH$c4d2bff1a43af6e0a141b97069ff7d21875c544d5453dd2bd19dab3fc9ca29bc";
        for h in [scrypt, pbkdf2] {
            assert!(verify(h, "alicepassword1"), "{h}");
            assert!(!verify(h, "alicepassword2"), "{h}");
        }
    }
}
