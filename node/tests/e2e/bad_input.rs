//! Bad input to every `city_*` method: non-ASCII, huge, malformed and mistyped values. Each
//! gets a JSON-RPC error with a message within a second, and the node keeps answering. Run on
//! the device registry scenario's dev node (a device exists there, so "not found" and "bad
//! parameter" are told apart). Includes the two inputs that once crashed or stalled a node: a
//! hash with a multi-byte character at an odd byte offset, and a 262,144-character address.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

/// The `city_*` methods the node serves.
pub const CITY_METHODS: [&str; 7] = [
	"city_device",
	"city_devicesByOwner",
	"city_deviceByKey",
	"city_latestReadings",
	"city_attestationCounters",
	"city_verifyReading",
	"city_anchors",
];

/// Values that are wrong wherever a `city_*` method expects anything.
fn garbage() -> Vec<Value> {
	let crash = format!("0xa€{}", "0".repeat(60));
	let huge = "z".repeat(262_144);
	vec![
		json!(crash),
		json!(huge),
		json!(format!("0x{}", "€".repeat(1000))),
		json!("💥"),
		json!(-1),
		json!(u64::MAX),
		json!(1.5e300),
		json!(null),
		json!(true),
		json!([]),
		json!({}),
		json!(vec![json!(format!("0x{}", "00".repeat(32))); 100_000]),
		json!({"scheme": "ed25519", "publicKey": crash}),
		json!({"scheme": huge, "publicKey": "0x00"}),
		json!({"device": 0, "seq": 1, "timestampMs": 1, "kind": "z".repeat(100_000), "value": 0, "unit": "watt"}),
		json!({"device": 0, "seq": 1, "timestampMs": 1, "kind": "power", "value": 0, "unit": "watt", "extra": 1}),
	]
}

/// Calls `method` with `params`: the answer comes within a second, and is an error with a
/// code and a message (its code returned) unless `may_succeed`.
fn answered(port: u16, method: &str, params: Value, may_succeed: bool) -> Option<i64> {
	let started = Instant::now();
	let answer = rpc(port, method, params.clone());
	let took = started.elapsed();
	let shown: String = params.to_string().chars().take(120).collect();
	assert!(took < Duration::from_secs(1), "{method}({shown}) took {took:?}");
	match answer {
		Err(RpcError::Rpc { code, message, .. }) => {
			assert!(code != 0 && !message.is_empty(), "{method}({shown}): {code} {message}");
			Some(code)
		}
		Ok(_) if may_succeed => None,
		other => panic!("{method}({shown}) should fail with an RPC error, got {other:?}"),
	}
}

/// Calls `method` with `params` and expects an error answer within a second; its code.
fn refused(port: u16, method: &str, params: Value) -> i64 {
	answered(port, method, params, false).unwrap_or_default()
}

/// Sends every kind of garbage in every parameter position of every `city_*` method, and
/// the right types with wrong values; checks the node still answers a standard method.
pub fn every_city_method_refuses_bad_input(node: &mut Node, device: u64) {
	let port = node.rpc_port;
	let hash = json!(format!("0x{}", "00".repeat(32)));
	let reading = json!({"device": device, "seq": 1, "timestampMs": 1, "kind": "power", "value": 0, "unit": "watt"});
	let key = json!({"scheme": "ed25519", "publicKey": format!("0x{}", "11".repeat(32))});
	// A valid call of each method (as far as types go), to put garbage into one position at a
	// time.
	// Per method: its parameters, the optional ones (null is fine there) and the plain u64
	// filters (any number is fine there: `startAfter`, `from`).
	type Method<'a> = (&'a str, Vec<Value>, &'a [usize], &'a [usize]);
	let valid: Vec<Method> = vec![
		("city_device", vec![json!(device), Value::Null], &[1], &[]),
		(
			"city_devicesByOwner",
			vec![json!(format!("0x{}", "00".repeat(32))), json!(null), json!(10), Value::Null],
			&[1, 2, 3],
			&[1],
		),
		("city_deviceByKey", vec![key, Value::Null], &[1], &[]),
		("city_latestReadings", vec![json!(device), Value::Null], &[1], &[]),
		("city_attestationCounters", vec![json!(device), Value::Null], &[1], &[]),
		(
			"city_verifyReading",
			vec![json!(device), json!(1), reading, json!(0), json!([hash]), Value::Null],
			&[5],
			&[],
		),
		("city_anchors", vec![json!(device), json!(1), json!(10), Value::Null], &[1, 2, 3], &[1]),
	];
	assert_eq!(
		valid.iter().map(|(m, ..)| *m).collect::<Vec<_>>(),
		CITY_METHODS.to_vec(),
		"every city_* method is exercised"
	);
	let mut calls = 0;
	for (method, params, optional, any_u64) in &valid {
		for (position, _) in params.iter().enumerate() {
			for bad in garbage() {
				let may_succeed = (bad.is_null() && optional.contains(&position))
					|| (bad.as_u64().is_some() && any_u64.contains(&position));
				let mut params = params.clone();
				if let Some(slot) = params.get_mut(position) {
					*slot = bad;
				}
				answered(port, method, Value::Array(params), may_succeed);
				calls += 1;
			}
		}
		// No parameters at all (jsonrpsee ignores surplus trailing ones: answered, in time).
		let mut extra = params.clone();
		extra.push(json!(1));
		answered(port, method, Value::Array(extra), true);
		refused(port, method, json!([]));
		calls += 2;
	}
	// Well-typed but wrong values: numbered errors.
	let unknown = 987_654_321u64;
	for method in ["city_device", "city_latestReadings", "city_attestationCounters"] {
		assert_eq!(refused(port, method, json!([unknown])), 4004, "{method} of an unknown device");
	}
	assert_eq!(refused(port, "city_anchors", json!([unknown])), 4004);
	assert_eq!(refused(port, "city_anchors", json!([device, 1, 1001])), 4001);
	assert_eq!(refused(port, "city_devicesByOwner", json!(["z".repeat(262_144)])), 4001);
	let crash = format!("0xa€{}", "0".repeat(60));
	let reading = json!({"device": device, "seq": 1, "timestampMs": 1, "kind": "power", "value": 0, "unit": "watt"});
	assert_eq!(refused(port, "city_verifyReading", json!([device, 1, reading, 0, [crash]])), 4001);
	let long_proof = vec![json!(format!("0x{}", "00".repeat(32))); 65];
	assert_eq!(refused(port, "city_verifyReading", json!([device, 1, reading, 0, long_proof])), 4001);
	println!("FIGURE bad input: {calls} malformed city_* calls, every one refused within 1 s");

	assert!(node.is_running(), "the node died on bad input");
	let started = Instant::now();
	rpc(port, "chain_getHeader", json!([])).expect("the node still answers");
	assert!(started.elapsed() < Duration::from_secs(1), "the node is still busy");
	rpc(port, "city_device", json!([device])).expect("and still serves city_* methods");
}
