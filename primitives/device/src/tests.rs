#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use codec::{Decode, Encode};
use proptest::prelude::*;
use sp_core::{crypto::Pair as _, ecdsa, ed25519, sr25519};
use sp_runtime::{traits::Verify, MultiSignature, MultiSigner};

/// The worked example in `pallets/sensor-attestation/README.md` ("Worked example"): every
/// `name: 0x..` line there must be what this crate computes, so the README (the reference for
/// other languages) and the SDK cannot drift apart.
const ATTESTATION_README: &str = include_str!("../../../pallets/sensor-attestation/README.md");
/// The same for registration (`pallets/device-registry/README.md`).
const REGISTRY_README: &str = include_str!("../../../pallets/device-registry/README.md");

use worked_example::{batch as example_batch, reading as example_reading};
const EXAMPLE_GENESIS: H256 = worked_example::GENESIS;
const EXAMPLE_SEED: [u8; 32] = worked_example::SEED;

/// The hex after `` `name`: `` in the README's worked example.
fn readme_value(readme: &str, name: &str) -> Vec<u8> {
	let marker = format!("`{name}`: `0x");
	let line = readme
		.lines()
		.find_map(|line| line.split_once(&marker).map(|(_, rest)| rest))
		.unwrap_or_else(|| panic!("README has no `{name}` example line"));
	let hex: String = line.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
	(0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn the_readme_examples_are_what_the_sdk_computes() {
	let reading = example_reading();
	assert_eq!(readme_value(ATTESTATION_README, "reading"), reading.encode());
	let payload = reading_payload(&EXAMPLE_GENESIS, 0, &reading);
	assert_eq!(readme_value(ATTESTATION_README, "reading payload"), payload);
	let device = Ed25519Signer::from_seed(EXAMPLE_SEED);
	assert_eq!(readme_value(ATTESTATION_README, "device key"), device.public().encode());
	// ed25519 is deterministic: the signature is pinned too.
	assert_eq!(
		readme_value(ATTESTATION_README, "reading signature"),
		device.sign(&payload).encode()
	);

	let batch = example_batch();
	let root = merkle_root(&batch);
	assert_eq!(readme_value(ATTESTATION_README, "batch root"), root.as_bytes());
	let anchor = BatchAnchor {
		device: 7,
		batch_seq: 1,
		period_start_ms: batch[0].timestamp_ms,
		period_end_ms: batch[4].timestamp_ms,
		count: 5,
		root,
	};
	assert_eq!(readme_value(ATTESTATION_README, "anchor"), anchor.encode());
	assert_eq!(
		readme_value(ATTESTATION_README, "batch payload"),
		batch_payload(&EXAMPLE_GENESIS, 0, &anchor)
	);
	let proof: Vec<u8> = merkle_proof(&batch, 4).unwrap().iter().flat_map(|h| h.0).collect();
	assert_eq!(readme_value(ATTESTATION_README, "proof of leaf 4"), proof);

	let owner = worked_example::OWNER;
	assert_eq!(
		readme_value(REGISTRY_README, "registration payload"),
		register_payload(&EXAMPLE_GENESIS, &owner, &device.public())
	);
	assert_eq!(
		readme_value(REGISTRY_README, "proof of possession"),
		device.sign(&register_payload(&EXAMPLE_GENESIS, &owner, &device.public())).encode()
	);
}

#[test]
fn encodings_have_the_documented_sizes() {
	assert_eq!(example_reading().encode().len(), 34);
	let generic =
		Reading { kind: MeasurementKind::Generic(9), unit: Unit::Other(3), ..example_reading() };
	assert_eq!(generic.encode().len(), 38);
	assert_eq!(Reading::max_encoded_len(), 38);
	assert_eq!(BatchAnchor::max_encoded_len(), 68);
	assert_eq!(PublicKey::max_encoded_len(), 34);
	assert_eq!(Signature::max_encoded_len(), 66);
}

#[test]
fn ride_payloads_have_the_documented_layout() {
	let genesis = H256::repeat_byte(0x11);
	let trip = TripSummary {
		ride: 3,
		vehicle: 7,
		distance_m: 5_400,
		duration_s: 900,
		route_hash: H256::repeat_byte(0x42),
		start_ms: 1_790_000_000_000,
		end_ms: 1_790_000_900_000,
	};
	// ride 8 + vehicle 8 + distance 4 + duration 4 + route 32 + start 8 + end 8.
	assert_eq!(TripSummary::max_encoded_len(), 72);
	let payload = trip_payload(&genesis, 2, &trip);
	assert_eq!(payload.len(), 24 + 32 + 4 + 72);
	assert_eq!(payload.get(..24), Some(&TRIP_TAG[..]));
	assert_eq!(payload.get(24..56), Some(genesis.as_bytes()));
	assert_eq!(payload.get(56..60), Some(&2u32.to_le_bytes()[..]));
	assert_eq!(payload.get(60..), Some(&trip.encode()[..]));
	let arrival = arrival_payload(&genesis, 2, 3, 7);
	assert_eq!(arrival.len(), 24 + 32 + 4 + 8 + 8);
	assert_eq!(arrival.get(..24), Some(&ARRIVAL_TAG[..]));
	assert_eq!(arrival.get(60..68), Some(&3u64.to_le_bytes()[..]));
	assert_eq!(arrival.get(68..), Some(&7u64.to_le_bytes()[..]));
}

fn sdk_signers() -> Vec<(Box<dyn DeviceSigner>, MultiSigner)> {
	let seed = [0x42; 32];
	vec![
		(Box::new(Ed25519Signer::from_seed(seed)), ed25519::Pair::from_seed(&seed).public().into()),
		(
			Box::new(Sr25519Signer::from_seed(seed).unwrap()),
			sr25519::Pair::from_seed(&seed).public().into(),
		),
		(
			Box::new(EcdsaSigner::from_seed(seed).unwrap()),
			ecdsa::Pair::from_seed(&seed).public().into(),
		),
	]
}

#[test]
fn keys_and_signatures_are_substrates() {
	let payload = reading_payload(&EXAMPLE_GENESIS, 3, &example_reading());
	for (signer, substrate_public) in sdk_signers() {
		let public = signer.public();
		// Same key as Substrate derives from the seed, same encoding as `MultiSigner`.
		assert_eq!(public.encode(), substrate_public.encode());
		let signature = signer.sign(&payload);
		// Substrate's own verification accepts it as a `MultiSignature`.
		let multi = MultiSignature::decode(&mut &signature.encode()[..]).unwrap();
		let account = sp_runtime::traits::IdentifyAccount::into_account(substrate_public);
		assert!(multi.verify(&payload[..], &account), "{public:?}");
		// And the SDK's check agrees with Substrate's, both ways.
		assert!(public.verify(&payload, &signature));
		let mut tampered = payload.clone();
		tampered[30] ^= 1;
		assert!(!public.verify(&tampered, &signature));
		assert!(!multi.verify(&tampered[..], &account));
	}
	// A signature of another scheme never passes.
	let signers = sdk_signers();
	let ed_signature = signers[0].0.sign(&payload);
	assert!(!signers[1].0.public().verify(&payload, &ed_signature));
	assert!(!signers[2].0.public().verify(&payload, &ed_signature));
}

#[test]
fn substrate_signatures_pass_the_sdk_check() {
	let payload = batch_payload(
		&EXAMPLE_GENESIS,
		0,
		&BatchAnchor {
			device: 1,
			batch_seq: 1,
			period_start_ms: 1,
			period_end_ms: 2,
			count: 1,
			root: H256::repeat_byte(3),
		},
	);
	let seed = [9; 32];
	let cases: Vec<(MultiSigner, MultiSignature)> = vec![
		(
			ed25519::Pair::from_seed(&seed).public().into(),
			ed25519::Pair::from_seed(&seed).sign(&payload).into(),
		),
		(
			sr25519::Pair::from_seed(&seed).public().into(),
			sr25519::Pair::from_seed(&seed).sign(&payload).into(),
		),
		(
			ecdsa::Pair::from_seed(&seed).public().into(),
			ecdsa::Pair::from_seed(&seed).sign(&payload).into(),
		),
	];
	for (public, signature) in cases {
		let public = PublicKey::decode(&mut &public.encode()[..]).unwrap();
		let signature = Signature::decode(&mut &signature.encode()[..]).unwrap();
		assert!(public.verify(&payload, &signature), "{public:?}");
	}
}

#[test]
fn an_invalid_ecdsa_secret_is_refused_not_a_panic() {
	assert!(EcdsaSigner::from_seed([0; 32]).is_none());
	assert!(EcdsaSigner::from_seed([0xFF; 32]).is_none());
}

#[test]
fn out_of_range_proofs_are_none() {
	assert_eq!(merkle_proof(&[], 0), None);
	assert_eq!(merkle_proof(&example_batch(), 5), None);
	assert_eq!(merkle_root(&[]), H256::zero());
}

fn arbitrary_reading() -> impl Strategy<Value = Reading> {
	(any::<u64>(), any::<u64>(), any::<u64>(), any::<u16>(), any::<i64>(), 0u8..3).prop_map(
		|(device, seq, timestamp_ms, code, value, shape)| Reading {
			device,
			seq,
			timestamp_ms,
			kind: if shape == 0 { MeasurementKind::Generic(code) } else { MeasurementKind::Power },
			value,
			unit: if shape == 1 { Unit::Other(code) } else { Unit::Watt },
		},
	)
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	/// Every leaf's proof verifies, has the length `proof_len` says, and the root is the one
	/// the chain's own hasher (`BlakeTwo256`, through sp-io) computes.
	#[test]
	fn every_leaf_proves_and_the_root_is_the_chains(
		batch in proptest::collection::vec(arbitrary_reading(), 1..40),
	) {
		let root = merkle_root(&batch);
		let chain_root = binary_merkle_tree::merkle_root::<sp_runtime::traits::BlakeTwo256, _>(
			batch.iter().map(Encode::encode),
		);
		prop_assert_eq!(root, chain_root);
		let count = batch.len() as u32;
		for (index, reading) in batch.iter().enumerate() {
			let index = index as u32;
			let proof = merkle_proof(&batch, index).unwrap();
			prop_assert_eq!(proof.len(), proof_len(count, index));
			prop_assert!(verify_inclusion(&root, count, index, reading, &proof));
			// Not at another index, not with a changed value, not with a shortened proof.
			if count > 1 {
				let other = (index + 1) % count;
				prop_assert!(!verify_inclusion(&root, count, other, reading, &proof));
			}
			let changed = Reading { value: reading.value.wrapping_add(1), ..reading.clone() };
			prop_assert!(!verify_inclusion(&root, count, index, &changed, &proof));
			if let Some((_, shorter)) = proof.split_last() {
				prop_assert!(!verify_inclusion(&root, count, index, reading, shorter));
			}
		}
	}

	/// Arbitrary bytes never verify and never panic.
	#[test]
	fn arbitrary_signatures_are_refused(
		key in proptest::collection::vec(any::<u8>(), 33),
		sig in proptest::collection::vec(any::<u8>(), 65),
		scheme in 0u8..3,
		payload in proptest::collection::vec(any::<u8>(), 0..100),
	) {
		let (public, signature) = match scheme {
			0 => (
				PublicKey::Ed25519(key[..32].try_into().unwrap()),
				Signature::Ed25519(sig[..64].try_into().unwrap()),
			),
			1 => (
				PublicKey::Sr25519(key[..32].try_into().unwrap()),
				Signature::Sr25519(sig[..64].try_into().unwrap()),
			),
			_ => (
				PublicKey::Ecdsa(key[..].try_into().unwrap()),
				Signature::Ecdsa(sig[..].try_into().unwrap()),
			),
		};
		prop_assert!(!public.verify(&payload, &signature));
	}
}

/// `n - s` for secp256k1's group order `n` (big-endian): the high-S twin of a signature.
fn negate_s(s: &[u8]) -> Vec<u8> {
	const N: [u8; 32] = [
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36,
		0x41, 0x41,
	];
	let mut out = vec![0u8; 32];
	let mut borrow = 0i16;
	for i in (0..32).rev() {
		let mut d = N[i] as i16 - s[i] as i16 - borrow;
		borrow = if d < 0 { 1 } else { 0 };
		if d < 0 {
			d += 256;
		}
		out[i] = d as u8;
	}
	out
}

/// The SDK accepts the ECDSA signatures the chain accepts (sp-io's recovery, libsecp256k1):
/// high-S twins and recovery ids 27/28, not only what its own signer produces.
#[test]
fn ecdsa_verification_agrees_with_the_chain_on_malleated_signatures() {
	let pair = ecdsa::Pair::from_seed(&[5; 32]);
	let payload = reading_payload(&EXAMPLE_GENESIS, 0, &example_reading());
	let public = PublicKey::decode(&mut &MultiSigner::from(pair.public()).encode()[..]).unwrap();
	let account =
		sp_runtime::traits::IdentifyAccount::into_account(MultiSigner::from(pair.public()));
	let raw: [u8; 65] = pair.sign(&payload).0;
	let high_s = {
		let mut sig = raw;
		sig[32..64].copy_from_slice(&negate_s(&raw[32..64]));
		sig[64] ^= 1;
		sig
	};
	let eth_v = {
		let mut sig = raw;
		sig[64] += 27;
		sig
	};
	let wrong_parity = {
		let mut sig = raw;
		sig[64] ^= 1;
		sig
	};
	for (name, sig, valid) in [
		("low S", raw, true),
		("high S", high_s, true),
		("v + 27", eth_v, true),
		("flipped v", wrong_parity, false),
	] {
		let chain =
			MultiSignature::Ecdsa(ecdsa::Signature::from_raw(sig)).verify(&payload[..], &account);
		let sdk = public.verify(&payload, &Signature::Ecdsa(sig));
		assert_eq!((chain, sdk), (valid, valid), "{name}");
	}
}
