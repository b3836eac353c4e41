//! Shamir secret sharing combine, byte-compatible with sops' `shamir` package (a copy of
//! HashiCorp Vault's): GF(2^8) with the AES polynomial 0x11B, each share is the secret length plus
//! one byte, the x coordinate, at the end. Only combining is needed to decrypt.

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1B;
        }
        b >>= 1;
    }
    product
}

/// Multiplicative inverse (a^254); `inv(0)` is never asked for (x coordinates are distinct).
fn inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u8;
    while exp != 0 {
        if exp & 1 != 0 {
            result = mul(result, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    result
}

/// Recombines shares into the secret by Lagrange interpolation at x = 0.
pub(crate) fn combine(parts: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    if parts.len() < 2 {
        return Err("less than two parts cannot be used to reconstruct the secret".into());
    }
    let len = parts[0].len();
    if len < 2 {
        return Err("parts must be at least two bytes".into());
    }
    if parts.iter().any(|p| p.len() != len) {
        return Err("all parts must be the same length".into());
    }
    let xs: Vec<u8> = parts.iter().map(|p| p[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err("duplicate part detected".into());
        }
    }
    let mut secret = vec![0u8; len - 1];
    for (byte, out) in secret.iter_mut().enumerate() {
        let mut acc = 0u8;
        for (i, part) in parts.iter().enumerate() {
            // basis_i(0) = prod_{j != i} x_j / (x_i + x_j)   (addition is XOR)
            let mut basis = 1u8;
            for (j, xj) in xs.iter().enumerate() {
                if i != j {
                    basis = mul(basis, mul(*xj, inv(xs[i] ^ xj)));
                }
            }
            acc ^= mul(part[byte], basis);
        }
        *out = acc;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates a polynomial with the given coefficients (constant first) at x.
    fn eval(coeffs: &[u8], x: u8) -> u8 {
        coeffs.iter().rev().fold(0u8, |acc, c| mul(acc, x) ^ c)
    }

    fn split(secret: &[u8], xs: &[u8], extra: &[u8]) -> Vec<Vec<u8>> {
        xs.iter()
            .map(|&x| {
                let mut share: Vec<u8> = secret
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| eval(&[s, extra[i % extra.len()], 0x5A], x))
                    .collect();
                share.push(x);
                share
            })
            .collect()
    }

    #[test]
    fn field_arithmetic() {
        assert_eq!(mul(0x57, 0x83), 0xC1); // FIPS-197 example
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn combines_any_threshold_subset() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, &[1, 77, 200, 9], &[3, 250, 17]);
        assert_eq!(combine(&shares[..3]).unwrap(), secret);
        assert_eq!(
            combine(&[shares[3].clone(), shares[0].clone(), shares[2].clone()]).unwrap(),
            secret
        );
        assert_ne!(combine(&shares[..2]).unwrap(), secret); // below the threshold of 3
    }

    #[test]
    fn rejects_bad_parts() {
        assert!(combine(&[vec![1, 2]]).is_err());
        assert!(combine(&[vec![1, 2], vec![1, 2, 3]]).is_err());
        assert!(combine(&[vec![1, 2], vec![3, 2]]).is_err());
    }
}
