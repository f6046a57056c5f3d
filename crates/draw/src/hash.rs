//! The hashing primitives of spec §1, §2 and §6.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest as _, Sha256};

use crate::Error;

/// A SHA-256 output.
pub type Digest = [u8; 32];

const COMMIT_TAG: &[u8] = b"jianguan-draw/v1/commit\0";
const SEED_TAG: &[u8] = b"jianguan-draw/v1/seed\0";
const TICKET_TAG: &[u8] = b"insp\0";

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> Digest {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Reads the first 8 bytes of a digest as an unsigned big-endian integer.
fn u64be(digest: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head)
}

/// The organiser's 32-byte secret (spec §1). Its `Debug` output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl Secret {
    /// Wraps 32 bytes that came from a cryptographic RNG.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex digits; anything else is [`Error::InvalidSecret`].
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        parse_hex32(text.trim())
            .map(Self)
            .ok_or_else(|| Error::InvalidSecret {
                length: text.trim().len(),
            })
    }

    /// The secret as 64 lower-case hex digits, for publication after the draw.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `H("jianguan-draw/v1/commit" ‖ 0x00 ‖ secret)`, published before the draw.
    pub fn commitment(&self) -> Digest {
        sha256(&[&commitment_input(self)])
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The exact bytes hashed into the commitment (spec §1.1):
/// `"jianguan-draw/v1/commit" ‖ 0x00 ‖ secret`, for showing the computation step by step.
pub fn commitment_input(secret: &Secret) -> Vec<u8> {
    [COMMIT_TAG, secret.as_bytes()].concat()
}

/// The exact bytes hashed into the round seed (spec §1.3):
/// `"jianguan-draw/v1/seed" ‖ 0x00 ‖ secret ‖ H(beacon)`, the beacon's bytes as recorded.
pub fn seed_input(secret: &Secret, recorded_beacon: &str) -> Vec<u8> {
    let beacon_hash = sha256(&[recorded_beacon.as_bytes()]);
    [SEED_TAG, secret.as_bytes(), &beacon_hash].concat()
}

/// The exact bytes hashed into a subject's `prn` (spec §2): `round_seed ‖ id`;
/// [`RoundSeed::prn`] gives the same value faster.
pub fn prn_input(seed: &RoundSeed, id: &[u8]) -> Vec<u8> {
    [seed.as_bytes().as_slice(), id].concat()
}

/// Removes leading and trailing white space from a beacon, as spec §1.2 requires.
pub fn normalize_beacon(beacon: &str) -> &str {
    beacon.trim()
}

/// The seed shared by every plan of a round (spec §1.3).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RoundSeed {
    bytes: Digest,
    /// SHA-256 state and padding template for one-block `prn` inputs.
    block: [u8; 64],
}

/// Longest id whose `prn` input (32-byte seed ‖ id) fits one padded SHA-256 block.
const ONE_BLOCK_ID_MAX: usize = 64 - 32 - 9;

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

impl RoundSeed {
    /// `H("jianguan-draw/v1/seed" ‖ 0x00 ‖ secret ‖ H(beacon))`, the beacon trimmed first.
    pub fn derive(secret: &Secret, beacon: &str) -> Self {
        Self::derive_from_recorded(secret, normalize_beacon(beacon))
    }

    /// The seed from a beacon exactly as recorded, its bytes used as they are (spec §1.2).
    pub fn derive_from_recorded(secret: &Secret, recorded_beacon: &str) -> Self {
        Self::from_bytes(sha256(&[&seed_input(secret, recorded_beacon)]))
    }

    /// Uses a seed as recorded.
    pub fn from_bytes(bytes: Digest) -> Self {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&bytes);
        Self { bytes, block }
    }

    /// The 32 seed bytes.
    pub fn as_bytes(&self) -> &Digest {
        &self.bytes
    }

    /// The subject's permanent random number: `u64be(H(round_seed ‖ id)[..8])` (spec §2).
    pub fn prn(&self, id: &[u8]) -> u64 {
        if id.len() > ONE_BLOCK_ID_MAX {
            return u64be(&sha256(&[&self.bytes, id]));
        }
        // One compression over a hand-padded block: the hot path of every draw.
        let mut block = self.block;
        let end = 32 + id.len();
        block[32..end].copy_from_slice(id);
        block[end] = 0x80;
        let bit_length = (end as u64) * 8;
        block[56..].copy_from_slice(&bit_length.to_be_bytes());
        let mut state = SHA256_IV;
        sha2::compress256(&mut state, &[GenericArray::from(block)]);
        (u64::from(state[0]) << 32) | u64::from(state[1])
    }

    /// The ticket of an inspector for a subject (spec §6.2):
    /// `u64be(H(round_seed ‖ "insp" ‖ 0x00 ‖ id ‖ 0x00 ‖ inspector_id)[..8])`.
    pub fn ticket(&self, subject: &[u8], inspector: &[u8]) -> u64 {
        self.ticket_hasher(subject).ticket(inspector)
    }

    /// A hasher with the subject's part of the ticket input absorbed, for many inspectors.
    pub fn ticket_hasher(&self, subject: &[u8]) -> TicketHasher {
        let mut prefix = Vec::with_capacity(64);
        prefix.extend_from_slice(&self.bytes);
        prefix.extend_from_slice(TICKET_TAG);
        prefix.extend_from_slice(subject);
        prefix.push(0);
        TicketHasher {
            prefix,
            first_block: None,
        }
    }
}

impl std::fmt::Debug for RoundSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RoundSeed({})", to_hex(&self.bytes))
    }
}

/// Computes tickets of one subject for many inspectors.
///
/// When the input spans two blocks, the first block's state is reused for
/// consecutive inspectors whose ids share its bytes (ids sorted alike share prefixes).
#[derive(Clone)]
pub struct TicketHasher {
    prefix: Vec<u8>,
    first_block: Option<([u8; 64], [u32; 8])>,
}

impl TicketHasher {
    /// The ticket of `inspector` for this hasher's subject.
    pub fn ticket(&mut self, inspector: &[u8]) -> u64 {
        let prefix_len = self.prefix.len();
        let total = prefix_len + inspector.len();
        if prefix_len >= 64 || total < 64 || total - 64 + 9 > 64 {
            return u64be(&sha256(&[&self.prefix, inspector]));
        }
        let split = 64 - prefix_len;
        let mut block = [0u8; 64];
        block[..prefix_len].copy_from_slice(&self.prefix);
        block[prefix_len..].copy_from_slice(&inspector[..split]);
        let state = match &self.first_block {
            Some((cached, state)) if *cached == block => *state,
            _ => {
                let mut state = SHA256_IV;
                sha2::compress256(&mut state, &[GenericArray::from(block)]);
                self.first_block = Some((block, state));
                state
            }
        };
        let rest = &inspector[split..];
        let mut last = [0u8; 64];
        last[..rest.len()].copy_from_slice(rest);
        last[rest.len()] = 0x80;
        last[56..].copy_from_slice(&((total as u64) * 8).to_be_bytes());
        let mut state = state;
        sha2::compress256(&mut state, &[GenericArray::from(last)]);
        (u64::from(state[0]) << 32) | u64::from(state[1])
    }
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Parses hex digits (either case) into exactly `N` bytes.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *slot = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

/// Parses 64 hex digits into 32 bytes.
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    parse_hex::<32>(text)
}

/// A `prn`, ticket or cut-off as 16 lower-case hex digits.
pub fn u64_hex(value: u64) -> String {
    format!("{value:016x}")
}

/// Parses 16 hex digits into a `u64`.
pub fn parse_u64_hex(text: &str) -> Option<u64> {
    parse_hex::<8>(text).map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::{RoundSeed, sha256};

    #[test]
    fn the_shown_inputs_hash_to_the_protocol_values() {
        let secret = super::Secret::from_bytes([3; 32]);
        let seed = RoundSeed::derive_from_recorded(&secret, "12 34");
        assert_eq!(
            sha256(&[&super::commitment_input(&secret)]),
            secret.commitment()
        );
        assert_eq!(
            sha256(&[&super::seed_input(&secret, "12 34")]),
            *seed.as_bytes()
        );
        let id = b"91420200MA4CA5HQ43";
        let digest = sha256(&[&super::prn_input(&seed, id)]);
        assert_eq!(
            u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()),
            seed.prn(id)
        );
    }

    #[test]
    fn a_reused_ticket_hasher_matches_the_plain_hash() {
        let seed = RoundSeed::from_bytes([9; 32]);
        for subject in ["91420200MA4CQY4B0E", "黄石市监处罚〔2022〕12号", "", "X"] {
            let mut hasher = seed.ticket_hasher(subject.as_bytes());
            let inspectors = [
                "SCJG-0001",
                "SCJG-0002",
                "SCJG-0010",
                "SCJG-0010",
                "SCJG-000",
                "S",
                "WJW-0001",
                "4202001987000123456789",
            ];
            for inspector in inspectors.iter().chain(inspectors.iter().rev()) {
                let digest = sha256(&[
                    seed.as_bytes(),
                    b"insp\0",
                    subject.as_bytes(),
                    b"\0",
                    inspector.as_bytes(),
                ]);
                let expected = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
                assert_eq!(
                    hasher.ticket(inspector.as_bytes()),
                    expected,
                    "{subject} / {inspector}"
                );
            }
        }
    }
}
