//! End-to-end: a device registered from outside the node.
//!
//! The device key is an ed25519 key made with `ed25519-dalek` (not Substrate's crypto), and the
//! registration payload is assembled byte by byte as the pallet README documents it, as a
//! device maker would in another language. The device is then read back through `city_device`,
//! `city_deviceByKey`, `city_devicesByOwner` and a raw `state_call`; bad parameters get
//! numbered errors.

use std::time::Duration;

use crate::common::*;
use city_primitives::{DeviceClass, DeviceKey};
use codec::{Decode, Encode};
use ed25519_dalek::Signer;
use pallet_device_registry::{runtime_api::DeviceInfo, DeviceMetadata};
use serde_json::{json, Value};
use sp_core::{
	crypto::{Pair as _, Ss58Codec},
	ed25519, sr25519,
};

fn rpc_error_code(result: Result<Value, RpcError>) -> (i64, String) {
	match result {
		Err(RpcError::Rpc { code, message, .. }) => (code, message),
		other => panic!("expected an RPC error, got {other:?}"),
	}
}

fn register_call(device_public: [u8; 32], signature: [u8; 64]) -> citychain_runtime::RuntimeCall {
	citychain_runtime::RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register {
		class: DeviceClass::SolarInverter,
		zone: 3,
		key: DeviceKey::Ed25519(ed25519::Public::from_raw(device_public)),
		proof: sp_runtime::MultiSignature::Ed25519(ed25519::Signature::from_raw(signature)),
		operator: None,
		metadata: DeviceMetadata {
			geohash: b"u33dc0".to_vec().try_into().unwrap(),
			model_hash: None,
			firmware_hash: None,
			uri: b"https://city.example/pv/42".to_vec().try_into().unwrap(),
		},
	})
}

#[test]
fn device_registered_from_outside_is_visible_over_rpc_and_state_call() {
	let _serial = serial();
	let [rpc_port, p2p_port] = free_ports(2)[..] else { unreachable!() };
	let dir = test_dir("device-registry");
	let mut node = Node::new("dev", &dir, rpc_port, p2p_port, &["--dev".to_string()]);
	node.start();
	wait_for("first block", Duration::from_secs(60), || best_number(rpc_port).filter(|n| *n >= 1));
	let genesis = block_hash(rpc_port, 0).unwrap();

	// The device: an ed25519 key made outside Substrate.
	let device = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]);
	let device_public = device.verifying_key().to_bytes();
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let owner_public: [u8; 32] = alice.public().0;

	// The registration payload, byte by byte (pallets/device-registry/README.md).
	let mut payload = b"CITYCHAIN/DEVICE/REG/v1\0".to_vec();
	payload.extend_from_slice(genesis.as_bytes());
	payload.extend_from_slice(&owner_public);
	payload.push(0); // ed25519
	payload.extend_from_slice(&device_public);
	let signature = device.sign(&payload).to_bytes();

	let alice_account: citychain_runtime::AccountId = alice.public().into();
	let nonce = rpc(rpc_port, "system_accountNextIndex", json!([alice_account.to_string()]))
		.unwrap()
		.as_u64()
		.unwrap() as u32;
	let xt = sign_call(rpc_port, &alice, register_call(device_public, signature), nonce);
	rpc(rpc_port, "author_submitExtrinsic", json!([hex_encode(&xt)])).expect("accepted");

	let key_json = json!({"scheme": "ed25519", "publicKey": hex_encode(&device_public)});
	let device_json = wait_for("device registered and finalized", Duration::from_secs(60), || {
		let (head, _) = finalized(rpc_port)?;
		rpc(rpc_port, "city_deviceByKey", json!([key_json, format!("{head:?}")])).ok()
	});
	// The node writes addresses with CityChain's SS58 prefix.
	let alice_address =
		alice_account.to_ss58check_with_version(citychain_runtime::SS58_PREFIX.into());
	assert_eq!(device_json["owner"], json!(alice_address));
	assert_eq!(device_json["class"], json!("solarInverter"));
	assert_eq!(device_json["zone"], json!(3));
	assert_eq!(device_json["status"], json!("active"));
	assert_eq!(device_json["keyEpoch"], json!(0));
	assert_eq!(device_json["key"], key_json);
	assert_eq!(device_json["metadata"]["geohash"], json!("u33dc0"));
	assert_eq!(device_json["metadata"]["uri"], json!("https://city.example/pv/42"));
	assert!(device_json["deposit"].as_str().unwrap().parse::<u128>().unwrap() > 0);
	let id = device_json["id"].as_u64().unwrap();

	// city_device and city_devicesByOwner agree.
	assert_eq!(rpc(rpc_port, "city_device", json!([id])).unwrap(), device_json);
	let page = rpc(rpc_port, "city_devicesByOwner", json!([alice_account.to_string()])).unwrap();
	assert_eq!(page, json!([device_json.clone()]));

	// The runtime API through state_call, SCALE in and out, as any client can do.
	let raw =
		rpc(rpc_port, "state_call", json!(["DeviceRegistryApi_device", hex_encode(&id.encode())]))
			.unwrap();
	let info = Option::<
		DeviceInfo<
			citychain_runtime::AccountId,
			citychain_runtime::Balance,
			citychain_runtime::BlockNumber,
		>,
	>::decode(&mut &hex_decode(raw.as_str().unwrap())[..])
	.unwrap()
	.expect("device exists");
	assert_eq!(info.owner, alice_account);
	assert_eq!(info.key, DeviceKey::Ed25519(ed25519::Public::from_raw(device_public)));

	// A proof made for Alice, submitted by Bob, registers nothing.
	let other_device = ed25519_dalek::SigningKey::from_bytes(&[0x6b; 32]);
	let other_public = other_device.verifying_key().to_bytes();
	let mut stolen = b"CITYCHAIN/DEVICE/REG/v1\0".to_vec();
	stolen.extend_from_slice(genesis.as_bytes());
	stolen.extend_from_slice(&owner_public);
	stolen.push(0);
	stolen.extend_from_slice(&other_public);
	let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
	let xt = sign_call(
		rpc_port,
		&bob,
		register_call(other_public, other_device.sign(&stolen).to_bytes()),
		0,
	);
	rpc(rpc_port, "author_submitExtrinsic", json!([hex_encode(&xt)])).expect("pays its fee");
	let bob_account: citychain_runtime::AccountId = bob.public().into();
	let head = wait_for("Bob's failed registration finalized", Duration::from_secs(60), || {
		let (head, _) = finalized(rpc_port)?;
		(account_nonce(rpc_port, &bob_account, head) >= 1).then_some(head)
	});
	let other_key = json!({"scheme": "ed25519", "publicKey": hex_encode(&other_public)});
	let (code, _) =
		rpc_error_code(rpc(rpc_port, "city_deviceByKey", json!([other_key, format!("{head:?}")])));
	assert_eq!(code, 4004);

	// Numbered errors with messages for unknown ids and bad parameters.
	let (code, message) = rpc_error_code(rpc(rpc_port, "city_device", json!([999_999])));
	assert_eq!(code, 4004);
	assert!(message.contains("999999"), "{message}");
	let (code, message) =
		rpc_error_code(rpc(rpc_port, "city_devicesByOwner", json!(["not-an-address"])));
	assert_eq!(code, 4001);
	assert!(message.contains("SS58"), "{message}");
	let (code, _) = rpc_error_code(rpc(
		rpc_port,
		"city_devicesByOwner",
		json!([alice_account.to_string(), null, 0]),
	));
	assert_eq!(code, 4001);
	let (code, message) = rpc_error_code(rpc(
		rpc_port,
		"city_deviceByKey",
		json!([{"scheme": "rsa", "publicKey": "0x00"}]),
	));
	assert_eq!(code, 4001);
	assert!(message.contains("scheme"), "{message}");
	let (code, _) = rpc_error_code(rpc(rpc_port, "city_device", json!(["abc"])));
	assert_eq!(code, -32602, "wrong parameter type is an invalid-params error");
	let (code, _) = rpc_error_code(rpc(rpc_port, "city_device", json!([1, "0x1234"])));
	assert_eq!(code, -32602, "a malformed block hash is an invalid-params error");
	let unknown_block = format!("0x{}", "ab".repeat(32));
	let (code, _) = rpc_error_code(rpc(rpc_port, "city_device", json!([id, unknown_block])));
	assert_eq!(code, 4003, "an unknown block is reported, not a panic");
	assert!(node.is_running());
	node.stop();
}
