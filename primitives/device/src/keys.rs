//! Device keys and signatures as the chain takes them, and signers for the three schemes.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A device's public key, encoded exactly like the registry's `DeviceKey` (and like
/// `MultiSigner`): one variant byte, then the raw key.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum PublicKey {
	/// Ed25519 public key (32 bytes). Variant byte 0.
	Ed25519([u8; 32]),
	/// Sr25519 (Schnorrkel/Ristretto) public key (32 bytes). Variant byte 1.
	Sr25519([u8; 32]),
	/// Compressed secp256k1 ECDSA public key (33 bytes). Variant byte 2.
	Ecdsa([u8; 33]),
}

/// A device's signature, encoded exactly like `MultiSignature`: one variant byte, then the raw
/// signature.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Signature {
	/// Ed25519 signature (64 bytes) of the payload. Variant byte 0.
	Ed25519([u8; 64]),
	/// Sr25519 signature (64 bytes) of the payload, signing context `substrate`. Variant byte 1.
	Sr25519([u8; 64]),
	/// Recoverable secp256k1 ECDSA signature (65 bytes: r, s, recovery id) of
	/// `blake2_256(payload)`. Variant byte 2.
	Ecdsa([u8; 65]),
}

/// The signing context Substrate (and so the chain) uses for sr25519.
pub const SR25519_SIGNING_CONTEXT: &[u8] = b"substrate";

impl PublicKey {
	/// Whether `signature` is this key's signature of `payload`, checked as the chain checks
	/// it. `false` for a scheme whose feature is off, or a signature of another scheme.
	#[cfg_attr(
		not(all(feature = "ed25519", feature = "sr25519", feature = "ecdsa")),
		allow(unused_variables)
	)]
	pub fn verify(&self, payload: &[u8], signature: &Signature) -> bool {
		match (self, signature) {
			#[cfg(feature = "ed25519")]
			(PublicKey::Ed25519(key), Signature::Ed25519(sig)) => {
				ed25519_zebra::VerificationKey::try_from(*key)
					.map(|key| key.verify(&ed25519_zebra::Signature::from(*sig), payload).is_ok())
					.unwrap_or(false)
			}
			#[cfg(feature = "sr25519")]
			(PublicKey::Sr25519(key), Signature::Sr25519(sig)) => {
				match (
					schnorrkel::PublicKey::from_bytes(key),
					schnorrkel::Signature::from_bytes(sig),
				) {
					(Ok(key), Ok(sig)) => {
						key.verify_simple(SR25519_SIGNING_CONTEXT, payload, &sig).is_ok()
					}
					_ => false,
				}
			}
			#[cfg(feature = "ecdsa")]
			(PublicKey::Ecdsa(key), Signature::Ecdsa(sig)) => {
				ecdsa_recover(payload, sig).is_some_and(|recovered| &recovered == key)
			}
			_ => false,
		}
	}
}

/// The compressed public key that signed `blake2_256(payload)` with `signature`, recovered as
/// the chain recovers it (sp-io's `secp256k1_ecdsa_recover_compressed`, libsecp256k1): a
/// recovery id of 27 to 30 counts as 0 to 3, and a high-S signature is accepted (it is
/// normalised to low S, which flips the recovery id's parity). The SDK's own signer produces
/// low-S signatures with ids 0 or 1.
#[cfg(feature = "ecdsa")]
fn ecdsa_recover(payload: &[u8], signature: &[u8; 65]) -> Option<[u8; 33]> {
	let (rs, v) = signature.split_at(64);
	let mut sig = k256::ecdsa::Signature::from_slice(rs).ok()?;
	let v = *v.first()?;
	let mut recovery = k256::ecdsa::RecoveryId::from_byte(if v >= 27 { v - 27 } else { v })?;
	if let Some(low) = sig.normalize_s() {
		sig = low;
		recovery = k256::ecdsa::RecoveryId::new(!recovery.is_y_odd(), recovery.is_x_reduced());
	}
	let key = k256::ecdsa::VerifyingKey::recover_from_prehash(
		&crate::blake2_256(payload),
		&sig,
		recovery,
	)
	.ok()?;
	key.to_encoded_point(true).as_bytes().try_into().ok()
}

/// Something that signs for a device: a key in memory here, a secure element in a real
/// device.
pub trait DeviceSigner {
	/// The public key the registry knows the device by.
	fn public(&self) -> PublicKey;
	/// The signature of `payload` (one of the payload functions' outputs) as the chain checks
	/// it.
	fn sign(&self, payload: &[u8]) -> Signature;
}

/// An ed25519 device key (RFC 8032, deterministic signatures; the same keys as Substrate's
/// `ed25519::Pair::from_seed`).
#[cfg(feature = "ed25519")]
#[derive(Clone)]
pub struct Ed25519Signer(ed25519_zebra::SigningKey);

#[cfg(feature = "ed25519")]
impl Ed25519Signer {
	/// The key with this 32-byte secret seed.
	pub fn from_seed(seed: [u8; 32]) -> Self {
		Self(ed25519_zebra::SigningKey::from(seed))
	}
}

#[cfg(feature = "ed25519")]
impl DeviceSigner for Ed25519Signer {
	fn public(&self) -> PublicKey {
		PublicKey::Ed25519(ed25519_zebra::VerificationKeyBytes::from(&self.0).into())
	}

	fn sign(&self, payload: &[u8]) -> Signature {
		Signature::Ed25519(self.0.sign(payload).into())
	}
}

/// An sr25519 device key (the same keys as Substrate's `sr25519::Pair::from_seed`). Signing
/// draws a random nonce, so it needs `std` (an operating system's random source); a device
/// without one signs with ed25519 or ECDSA, whose signatures are deterministic.
#[cfg(all(feature = "sr25519", feature = "std"))]
#[derive(Clone)]
pub struct Sr25519Signer(schnorrkel::Keypair);

#[cfg(all(feature = "sr25519", feature = "std"))]
impl Sr25519Signer {
	/// The key with this 32-byte mini secret seed. `None` only if schnorrkel refuses it.
	pub fn from_seed(seed: [u8; 32]) -> Option<Self> {
		schnorrkel::MiniSecretKey::from_bytes(&seed)
			.ok()
			.map(|mini| Self(mini.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)))
	}
}

#[cfg(all(feature = "sr25519", feature = "std"))]
impl DeviceSigner for Sr25519Signer {
	fn public(&self) -> PublicKey {
		PublicKey::Sr25519(self.0.public.to_bytes())
	}

	fn sign(&self, payload: &[u8]) -> Signature {
		Signature::Sr25519(self.0.sign_simple(SR25519_SIGNING_CONTEXT, payload).to_bytes())
	}
}

/// A secp256k1 ECDSA device key (the same keys as Substrate's `ecdsa::Pair::from_seed`):
/// signs `blake2_256(payload)` deterministically (RFC 6979), low-S, with the recovery id.
#[cfg(feature = "ecdsa")]
#[derive(Clone)]
pub struct EcdsaSigner(k256::ecdsa::SigningKey);

#[cfg(feature = "ecdsa")]
impl EcdsaSigner {
	/// The key with this 32-byte secret. `None` if it is not a valid secp256k1 scalar (zero,
	/// or not below the curve order).
	pub fn from_seed(seed: [u8; 32]) -> Option<Self> {
		k256::ecdsa::SigningKey::from_bytes(&seed.into()).ok().map(Self)
	}
}

#[cfg(feature = "ecdsa")]
impl DeviceSigner for EcdsaSigner {
	fn public(&self) -> PublicKey {
		let point = self.0.verifying_key().to_encoded_point(true);
		let mut key = [0u8; 33];
		// A compressed point is always 33 bytes.
		if let Ok(bytes) = <[u8; 33]>::try_from(point.as_bytes()) {
			key = bytes;
		}
		PublicKey::Ecdsa(key)
	}

	fn sign(&self, payload: &[u8]) -> Signature {
		let mut out = [0u8; 65];
		// Signing a 32-byte prehash with a valid key does not fail (k256 retries internally);
		// the zero signature on an impossible error is refused by the chain, never a panic.
		if let Ok((sig, recovery)) = self.0.sign_prehash_recoverable(&crate::blake2_256(payload)) {
			let (rs, v) = out.split_at_mut(64);
			rs.copy_from_slice(&sig.to_bytes());
			if let Some(v) = v.first_mut() {
				*v = recovery.to_byte();
			}
		}
		Signature::Ecdsa(out)
	}
}
