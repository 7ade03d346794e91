//! Every `city_*` parameter that arrives as text is parsed here, and only here: hex through the
//! `hex` crate, SS58 through sp-core's codec, names through the pallets' tables. Lengths are
//! checked before anything is decoded (SS58 decoding is quadratic in the input), lists are
//! capped, and user strings are never sliced or indexed: whatever a client sends, the answer
//! is a parameter error with a message, never a panic or a long computation.
//!
//! Block hashes (`at`) and numbers are typed parameters that jsonrpsee deserializes with serde
//! (sp-core's `H256` serde, as polkadot-sdk's own RPC methods do); a malformed one is
//! JSON-RPC's `-32602`.

use city_primitives::{DeviceId, DeviceKey};
use citychain_runtime::AccountId;
use pallet_data_access::{AccessBasis, AccessEntry};
use pallet_sensor_attestation::{
	names::{parse_kind, parse_unit},
	Reading,
};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::Ss58Codec, ecdsa, ed25519, sr25519, H256};

/// Most sibling hashes in a Merkle proof: a batch has at most 2^32 readings, whose proofs
/// have at most 32 siblings; 64 leaves room and bounds the work of one request.
pub const MAX_PROOF_LEN: usize = 64;
/// Longest measurement kind, unit or key scheme name accepted (`generic:65535` is 13).
pub const MAX_NAME_LEN: usize = 64;
/// Longest account accepted: `0x` and 64 hex digits (an SS58 address of 32 bytes is at most
/// 50 characters). Anything longer is refused before decoding.
pub const MAX_ACCOUNT_LEN: usize = 66;
/// Most characters of a client's input repeated in an error message.
const SHOWN: usize = 80;

/// A device key in JSON: `{"scheme": "sr25519" | "ed25519" | "ecdsa", "publicKey": "0x.."}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyJson {
	/// Signature scheme.
	pub scheme: String,
	/// Public key bytes, hex with `0x` (32 bytes; 33 compressed bytes for ecdsa).
	pub public_key: String,
}

/// A reading in JSON. `kind` is `energyImport`, `energyExport`, `power`, `parkingOccupancy`,
/// `airPm25`, `airPm10`, `airNo2`, `airO3`, `tripSummary` or `generic:<code>`; `unit` is
/// `wattHour`, `watt`, `count`, `deciMicrogramPerCubicMetre`, `metre`, `second` or
/// `other:<code>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadingJson {
	/// Device id.
	pub device: DeviceId,
	/// Sequence number.
	pub seq: u64,
	/// Measurement time, Unix ms.
	pub timestamp_ms: u64,
	/// Measurement kind.
	pub kind: String,
	/// Integer value in `unit`.
	pub value: i64,
	/// Unit.
	pub unit: String,
}

/// A client's input for an error message: quoted, at most [`SHOWN`] characters.
pub fn shown(input: &str) -> String {
	let mut shown: String = input.chars().take(SHOWN).collect();
	if shown.len() < input.len() {
		shown.push_str("...");
	}
	format!("{shown:?} ({} bytes)", input.len())
}

/// `0x`-prefixed hex of at most `max_bytes` bytes.
pub fn hex_bytes(input: &str, what: &str, max_bytes: usize) -> Result<Vec<u8>, String> {
	let digits = input
		.strip_prefix("0x")
		.ok_or_else(|| format!("{what} must be 0x-prefixed hex, got {}", shown(input)))?;
	if digits.len() > max_bytes.saturating_mul(2) {
		return Err(format!("{what} has at most {max_bytes} bytes, got {}", shown(input)));
	}
	hex::decode(digits).map_err(|e| format!("{what} is not hex ({e}): {}", shown(input)))
}

/// A 32-byte hash, `0x` and 64 hex digits.
pub fn h256(input: &str) -> Result<H256, String> {
	let bytes = hex_bytes(input, "a hash", 32)?;
	<[u8; 32]>::try_from(bytes.as_slice())
		.map(H256::from)
		.map_err(|_| format!("a hash has 32 bytes (64 hex digits), got {}", shown(input)))
}

/// A Merkle proof: at most [`MAX_PROOF_LEN`] sibling hashes.
pub fn proof(hashes: &[String]) -> Result<Vec<H256>, String> {
	if hashes.len() > MAX_PROOF_LEN {
		return Err(format!(
			"a proof has at most {MAX_PROOF_LEN} sibling hashes, got {}",
			hashes.len()
		));
	}
	hashes
		.iter()
		.enumerate()
		.map(|(i, hash)| h256(hash).map_err(|e| format!("proof[{i}]: {e}")))
		.collect()
}

/// An account given as SS58 (any network prefix) or as 32 bytes of `0x` hex.
pub fn account(input: &str) -> Result<AccountId, String> {
	if input.len() > MAX_ACCOUNT_LEN {
		return Err(format!(
			"an account is an SS58 address or 0x and 64 hex digits (at most {MAX_ACCOUNT_LEN} \
			 characters), got {}",
			shown(input)
		));
	}
	if input.starts_with("0x") {
		let bytes = hex_bytes(input, "a hex account id", 32)?;
		return <[u8; 32]>::try_from(bytes.as_slice())
			.map(AccountId::from)
			.map_err(|_| format!("a hex account id has 32 bytes, got {}", bytes.len()));
	}
	AccountId::from_ss58check_with_version(input)
		.map(|(account, _)| account)
		.map_err(|e| format!("not an SS58 address or 0x hex account id: {} ({e:?})", shown(input)))
}

/// A device key from its JSON form.
pub fn device_key(key: &KeyJson) -> Result<DeviceKey, String> {
	if key.scheme.len() > MAX_NAME_LEN {
		return Err(format!("unknown scheme {}", shown(&key.scheme)));
	}
	let max = if key.scheme == "ecdsa" { 33 } else { 32 };
	let bytes = hex_bytes(&key.public_key, "publicKey", max)?;
	let wrong_len =
		|want: usize| format!("a {} key has {want} bytes, got {}", key.scheme, bytes.len());
	match key.scheme.as_str() {
		"sr25519" => <[u8; 32]>::try_from(bytes.as_slice())
			.map(|raw| DeviceKey::Sr25519(sr25519::Public::from_raw(raw)))
			.map_err(|_| wrong_len(32)),
		"ed25519" => <[u8; 32]>::try_from(bytes.as_slice())
			.map(|raw| DeviceKey::Ed25519(ed25519::Public::from_raw(raw)))
			.map_err(|_| wrong_len(32)),
		"ecdsa" => <[u8; 33]>::try_from(bytes.as_slice())
			.map(|raw| DeviceKey::Ecdsa(ecdsa::Public::from_raw(raw)))
			.map_err(|_| wrong_len(33)),
		_ => Err(format!("scheme must be sr25519, ed25519 or ecdsa, got {}", shown(&key.scheme))),
	}
}

/// The runtime reading of a JSON reading.
pub fn reading(json: &ReadingJson) -> Result<Reading, String> {
	for (what, name) in [("kind", &json.kind), ("unit", &json.unit)] {
		if name.len() > MAX_NAME_LEN {
			return Err(format!("unknown {what} {}", shown(name)));
		}
	}
	Ok(Reading {
		device: json.device,
		seq: json.seq,
		timestamp_ms: json.timestamp_ms,
		kind: parse_kind(&json.kind)?,
		value: json.value,
		unit: parse_unit(&json.unit)?,
	})
}

/// An access-log entry in JSON (pallet-data-access's `AccessEntry`; the README has its byte
/// layout): exactly one of `grant` and `legalBasis`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessEntryJson {
	/// The citizen (or pseudonym) whose data was accessed: SS58 or 0x hex.
	pub citizen: String,
	/// The data category's code.
	pub category: u16,
	/// The purpose's code.
	pub purpose: u16,
	/// The device whose data it was, if a device's.
	#[serde(default)]
	pub device: Option<DeviceId>,
	/// The grant the access relied on.
	#[serde(default)]
	pub grant: Option<u64>,
	/// The legal basis it cited instead (a code of the vocabulary).
	#[serde(default)]
	pub legal_basis: Option<u16>,
	/// When, Unix ms.
	pub time_ms: u64,
	/// A hash of what was accessed, 0x and 64 hex digits.
	pub data_hash: String,
}

/// The runtime entry of a JSON access-log entry.
pub fn access_entry(json: &AccessEntryJson) -> Result<AccessEntry<AccountId>, String> {
	let basis = match (json.grant, json.legal_basis) {
		(Some(grant), None) => AccessBasis::Grant(grant),
		(None, Some(code)) => AccessBasis::LegalBasis(code),
		_ => return Err("an entry cites exactly one of grant and legalBasis".into()),
	};
	Ok(AccessEntry {
		citizen: account(&json.citizen).map_err(|e| format!("citizen: {e}"))?,
		category: json.category,
		purpose: json.purpose,
		device: json.device,
		basis,
		time_ms: json.time_ms,
		data_hash: h256(&json.data_hash).map_err(|e| format!("dataHash: {e}"))?,
	})
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;
	use pallet_sensor_attestation::{
		names::{kind_name, unit_name, KINDS, UNITS},
		MeasurementKind, Unit,
	};
	use proptest::prelude::*;
	use serde_json::Value;

	fn reading_json(reading: &Reading) -> ReadingJson {
		ReadingJson {
			device: reading.device,
			seq: reading.seq,
			timestamp_ms: reading.timestamp_ms,
			kind: kind_name(reading.kind),
			value: reading.value,
			unit: unit_name(reading.unit),
		}
	}

	#[test]
	fn readings_round_trip_through_json() {
		for kind in KINDS.iter().map(|(_, k)| *k).chain([MeasurementKind::Generic(7)]) {
			for unit in UNITS.iter().map(|(_, u)| *u).chain([Unit::Other(9)]) {
				let r = Reading { device: 1, seq: 2, timestamp_ms: 3, kind, value: -4, unit };
				assert_eq!(reading(&reading_json(&r)), Ok(r));
			}
		}
		let mut bad = reading_json(&Reading {
			device: 1,
			seq: 1,
			timestamp_ms: 1,
			kind: MeasurementKind::Power,
			value: 1,
			unit: Unit::Watt,
		});
		bad.kind = "temperature".into();
		assert!(reading(&bad).unwrap_err().contains("unknown measurement kind"));
		bad.kind = "generic:70000".into();
		assert!(reading(&bad).unwrap_err().contains("0..=65535"));
		bad.kind = "x".repeat(100_000);
		let error = reading(&bad).unwrap_err();
		assert!(error.len() < 200, "the error does not echo the whole input: {error}");
	}

	#[test]
	fn the_inputs_that_crashed_or_stalled_the_node_are_errors() {
		// Non-ASCII in a hash of the right byte length (once a panic that killed the node).
		let crash = format!("0xa€{}", "0".repeat(60));
		assert_eq!(crash.len(), 66);
		assert!(h256(&crash).unwrap_err().contains("not hex"));
		assert!(proof(&[crash]).unwrap_err().starts_with("proof[0]"));
		// A 262,144-character address (once 13.8 s of SS58 decoding): refused at once.
		let huge = "z".repeat(262_144);
		let started = std::time::Instant::now();
		assert!(account(&huge).unwrap_err().contains("at most 66"));
		assert!(started.elapsed() < std::time::Duration::from_millis(100));
		assert!(device_key(&KeyJson { scheme: "ed25519".into(), public_key: huge.clone() })
			.unwrap_err()
			.contains("0x-prefixed"));
		assert!(device_key(&KeyJson { scheme: huge, public_key: "0x00".into() })
			.unwrap_err()
			.contains("unknown scheme"));
		let long_proof = vec![format!("0x{}", "00".repeat(32)); MAX_PROOF_LEN + 1];
		assert!(proof(&long_proof).unwrap_err().contains("at most 64"));
		assert_eq!(proof(&long_proof[..MAX_PROOF_LEN]).unwrap().len(), MAX_PROOF_LEN);
	}

	#[test]
	fn keys_hashes_and_accounts_parse_and_bad_ones_are_explained() {
		let key = DeviceKey::Ecdsa(ecdsa::Public::from_raw([2u8; 33]));
		let json = KeyJson { scheme: "ecdsa".into(), public_key: format!("0x{}", "02".repeat(33)) };
		assert_eq!(device_key(&json), Ok(key));
		let bad = KeyJson { scheme: "rsa".into(), public_key: "0x00".into() };
		assert!(device_key(&bad).unwrap_err().contains("scheme"));
		let short = KeyJson { scheme: "sr25519".into(), public_key: "0x0011".into() };
		assert!(device_key(&short).unwrap_err().contains("32 bytes"));
		let not_hex = KeyJson { scheme: "ed25519".into(), public_key: "zz".into() };
		assert!(device_key(&not_hex).unwrap_err().contains("hex"));
		assert_eq!(h256(&format!("0x{}", "ab".repeat(32))), Ok(H256::repeat_byte(0xab)));
		assert!(h256("0x12").unwrap_err().contains("32 bytes"));
		assert!(h256("0x1").unwrap_err().contains("not hex"));
		let account_id = AccountId::from([7u8; 32]);
		assert_eq!(account(&account_id.to_ss58check()), Ok(account_id.clone()));
		assert_eq!(account(&format!("0x{}", "07".repeat(32))), Ok(account_id));
		assert!(account("5notanaddress").is_err());
		assert!(account("0x1234").unwrap_err().contains("32 bytes"));
	}

	/// Arbitrary JSON, as a client may send in place of any parameter.
	fn json_value() -> impl Strategy<Value = Value> {
		let leaf = prop_oneof![
			Just(Value::Null),
			any::<bool>().prop_map(Value::Bool),
			any::<i64>().prop_map(Value::from),
			any::<u64>().prop_map(Value::from),
			any::<f64>().prop_map(Value::from),
			".*".prop_map(Value::String),
			"0x[0-9a-fA-F€ ]{0,70}".prop_map(Value::String),
		];
		leaf.prop_recursive(3, 32, 6, |inner| {
			prop_oneof![
				proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
				proptest::collection::btree_map(
					prop_oneof![
						Just("device".to_string()),
						Just("seq".to_string()),
						Just("timestampMs".to_string()),
						Just("kind".to_string()),
						Just("value".to_string()),
						Just("unit".to_string()),
						Just("scheme".to_string()),
						Just("publicKey".to_string()),
						".*",
					],
					inner,
					0..8
				)
				.prop_map(|m| Value::Object(m.into_iter().collect())),
			]
		})
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(2_000))]

		/// Any text in any text parameter: an answer, never a panic; and accepted text is
		/// exactly the documented form.
		#[test]
		fn arbitrary_text_never_panics(input in ".*", hexish in "0x[0-9a-fA-F€é ]{0,80}") {
			for text in [&input, &hexish] {
				if let Ok(hash) = h256(text) {
					prop_assert_eq!(format!("{hash:?}"), text.to_lowercase());
				}
				let _ = account(text);
				let _ = proof(&[text.clone(), text.clone()]);
				for scheme in ["sr25519", "ed25519", "ecdsa", text.as_str()] {
					let _ = device_key(&KeyJson { scheme: scheme.into(), public_key: text.clone() });
				}
				let _ = reading(&ReadingJson {
					device: 1,
					seq: 1,
					timestamp_ms: 1,
					kind: text.clone(),
					value: 0,
					unit: text.clone(),
				});
				prop_assert!(shown(text).len() <= 4 * SHOWN + 32);
			}
		}

		/// An entry's JSON form gives the runtime entry it names, field by field.
		#[test]
		fn access_entries_round_trip_through_json(
			citizen in any::<[u8; 32]>(),
			category in any::<u16>(),
			purpose in any::<u16>(),
			device in any::<Option<u64>>(),
			grant in any::<Option<u64>>(),
			legal_basis in any::<u16>(),
			time_ms in any::<u64>(),
			data_hash in any::<[u8; 32]>(),
		) {
			let json = AccessEntryJson {
				citizen: format!("0x{}", hex::encode(citizen)),
				category,
				purpose,
				device,
				grant,
				legal_basis: grant.is_none().then_some(legal_basis),
				time_ms,
				data_hash: format!("0x{}", hex::encode(data_hash)),
			};
			let entry = access_entry(&json).unwrap();
			prop_assert_eq!(entry.citizen, AccountId::from(citizen));
			prop_assert_eq!(entry.device, device);
			prop_assert_eq!(
				entry.basis,
				grant.map_or(AccessBasis::LegalBasis(legal_basis), AccessBasis::Grant)
			);
			prop_assert_eq!(entry.time_ms, time_ms);
			prop_assert_eq!(entry.data_hash, H256::from(data_hash));
			prop_assert_eq!((entry.category, entry.purpose), (category, purpose));
			// Both bases, or neither, is refused.
			let both = AccessEntryJson { grant: Some(1), legal_basis: Some(1), ..json.clone() };
			prop_assert!(access_entry(&both).is_err());
			let neither = AccessEntryJson { grant: None, legal_basis: None, ..json };
			prop_assert!(access_entry(&neither).is_err());
		}

		/// Any JSON where a structured parameter goes: serde refuses it or the parser answers.
		#[test]
		fn arbitrary_json_never_panics(value in json_value()) {
			if let Ok(json) = serde_json::from_value::<ReadingJson>(value.clone()) {
				let _ = reading(&json);
			}
			if let Ok(json) = serde_json::from_value::<KeyJson>(value.clone()) {
				let _ = device_key(&json);
			}
			if let Ok(hashes) = serde_json::from_value::<Vec<String>>(value.clone()) {
				let _ = proof(&hashes);
			}
			if let Ok(json) = serde_json::from_value::<AccessEntryJson>(value.clone()) {
				let _ = access_entry(&json);
			}
			if let Ok(text) = serde_json::from_value::<String>(value.clone()) {
				let _ = account(&text);
				let _ = h256(&text);
			}
			let _ = serde_json::from_value::<Option<H256>>(value);
		}
	}
}
