//! Bad input to every `city_*` method: non-ASCII, huge, malformed and mistyped values in every
//! parameter position. Each gets a parameter error (JSON-RPC's `-32602` or the city's `4001`;
//! `4004` where a well-formed number names nothing) within a second, and the node keeps
//! answering. Run at the end of the attestation scenario, whose node has a device with an
//! anchored batch: every method's baseline call succeeds there, so an error is the garbage's
//! doing. Includes the two inputs that once crashed or stalled a node: a hash with a
//! multi-byte character at an odd byte offset, and a 262,144-character address.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

/// The `city_*` methods this scenario covers: `rpc_methods` must list exactly these.
pub const CITY_METHODS: [&str; 26] = [
	"city_accessAnchors",
	"city_anchors",
	"city_attestationCounters",
	"city_creditStats",
	"city_creditsOf",
	"city_device",
	"city_deviceByKey",
	"city_devicesByOwner",
	"city_driver",
	"city_energyMarket",
	"city_energyOrders",
	"city_energyQuote",
	"city_energySchedule",
	"city_grantsOf",
	"city_holder",
	"city_issuer",
	"city_latestReadings",
	"city_merchant",
	"city_parkingAvailability",
	"city_rewardsOf",
	"city_ride",
	"city_rideQuote",
	"city_rideStats",
	"city_ridesOf",
	"city_verifyAccess",
	"city_verifyReading",
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
		json!({"citizen": huge, "category": 1, "purpose": 2, "grant": 0, "timeMs": 1, "dataHash": crash}),
		json!({"citizen": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "category": 1, "purpose": 2, "grant": 0, "legalBasis": 1, "timeMs": 1, "dataHash": format!("0x{}", "00".repeat(32))}),
	]
}

/// Calls `method` with `params`, timing the request alone (the body is built first): the
/// answer comes within a second. `Ok(None)` for a result, `Ok(Some(code))` for an error with
/// a message.
fn answered(port: u16, method: &str, params: &Value) -> Option<i64> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let shown: String = params.to_string().chars().take(120).collect();
	let started = Instant::now();
	let answer = http_post(port, &body);
	let took = started.elapsed();
	assert!(took < Duration::from_secs(1), "{method}({shown}) took {took:?}");
	let answer: Value = serde_json::from_str(&answer.expect("an HTTP answer")).expect("JSON");
	let error = answer.get("error")?;
	let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
	let message = error.get("message").and_then(Value::as_str).unwrap_or("");
	assert!(code != 0 && !message.is_empty(), "{method}({shown}): {error}");
	Some(code)
}

/// Per method: its baseline parameters (a call that succeeds), the positions where null is
/// a valid value (optional parameters), and the positions holding a plain number that any
/// u64 may fill (an id or a sequence number that then names nothing: 4004, or a filter).
type Method = (&'static str, Vec<Value>, &'static [usize], &'static [usize]);

/// What exists on the node: a device, its owner and key, and a reading proven in an anchored
/// batch (so that every method's baseline call succeeds).
pub struct Fixture {
	/// A registered device.
	pub device: u64,
	/// Its owner's address.
	pub owner: String,
	/// Its key, as `city_deviceByKey` takes it.
	pub key: Value,
	/// One of its anchored batches.
	pub batch_seq: u64,
	/// A reading of that batch, as `city_verifyReading` takes it.
	pub reading: Value,
	/// A ride in storage.
	pub ride: u64,
	/// A registered driver's address.
	pub driver: String,
	/// The reading's leaf index.
	pub leaf_index: u32,
	/// Its Merkle proof.
	pub proof: Vec<String>,
	/// A citizen's grant and an anchored access-log entry.
	pub access: crate::data_access::AccessFixture,
	/// A credit issuer's and a merchant's addresses.
	pub credits: (String, String),
}

/// Sends every kind of garbage in every parameter position of every `city_*` method; checks
/// the node still answers.
pub fn every_city_method_refuses_bad_input(node: &mut Node, fixture: Fixture) {
	let Fixture {
		device,
		owner,
		key,
		batch_seq,
		reading,
		leaf_index,
		proof,
		ride,
		driver,
		access,
		credits: (issuer, merchant),
	} = fixture;
	let alice = owner.clone();
	let port = node.rpc_port;
	let listed = rpc(port, "rpc_methods", json!([])).expect("rpc_methods");
	let mut city: Vec<&str> = listed["methods"]
		.as_array()
		.expect("a method list")
		.iter()
		.filter_map(Value::as_str)
		.filter(|m| m.starts_with("city_"))
		.collect();
	city.sort_unstable();
	assert_eq!(city, CITY_METHODS.to_vec(), "a city_* method this scenario does not cover");

	// An energy market slot that takes orders for the whole run (50 slots ahead, of at most 96).
	let schedule = rpc(port, "city_energySchedule", json!([])).expect("city_energySchedule");
	let open_slot = schedule["currentSlot"].as_u64().expect("a slot") + 50;
	let methods: Vec<Method> = vec![
		("city_device", vec![json!(device), Value::Null], &[1], &[0]),
		("city_energySchedule", vec![Value::Null], &[0], &[]),
		// Any zone and slot is a market (or a slot without orders yet).
		("city_energyMarket", vec![json!(1), json!(open_slot), Value::Null], &[2], &[0, 1]),
		("city_energyOrders", vec![json!(owner.clone()), Value::Null], &[1], &[]),
		(
			"city_energyQuote",
			vec![json!(1), json!(open_slot), json!("bid"), json!(1_000), Value::Null],
			&[4],
			&[0],
		),
		(
			"city_devicesByOwner",
			vec![json!(owner), Value::Null, json!(10), Value::Null],
			&[1, 2, 3],
			&[1],
		),
		("city_deviceByKey", vec![key, Value::Null], &[1], &[]),
		("city_latestReadings", vec![json!(device), Value::Null], &[1], &[0]),
		("city_attestationCounters", vec![json!(device), Value::Null], &[1], &[0]),
		(
			"city_verifyReading",
			vec![
				json!(device),
				json!(batch_seq),
				reading,
				json!(leaf_index),
				json!(proof),
				Value::Null,
			],
			&[5],
			&[0, 1],
		),
		(
			"city_anchors",
			vec![json!(device), json!(1), json!(10), Value::Null],
			&[1, 2, 3],
			&[0, 1],
		),
		// Any zone is a zone (one without sensors has none); a freshness bound above a day is
		// 4001.
		("city_parkingAvailability", vec![json!(1), json!(900), Value::Null], &[1, 2], &[0, 1]),
		// Any ride id is a number (an unknown one is 4004); any distance and duration is a
		// trip.
		("city_ride", vec![json!(ride), Value::Null], &[1], &[0]),
		(
			"city_ridesOf",
			vec![json!(driver.clone()), Value::Null, json!(10), Value::Null],
			&[1, 2, 3],
			&[1],
		),
		("city_rideQuote", vec![json!(5_400), json!(900), Value::Null], &[2], &[0, 1]),
		("city_driver", vec![json!(driver), Value::Null], &[1], &[]),
		("city_rideStats", vec![Value::Null], &[0], &[]),
		("city_grantsOf", vec![json!(access.citizen.clone()), Value::Null], &[1], &[]),
		("city_holder", vec![json!(access.holder), Value::Null], &[1], &[0]),
		(
			"city_verifyAccess",
			vec![
				json!(access.holder),
				json!(access.batch),
				access.entry.clone(),
				json!(access.leaf_index),
				json!(access.proof.clone()),
				Value::Null,
			],
			&[5],
			&[0, 1, 3],
		),
		(
			"city_accessAnchors",
			vec![json!(access.holder), json!(0), json!(10), Value::Null],
			&[1, 2, 3],
			&[0, 1],
		),
		("city_creditsOf", vec![json!(access.citizen.clone()), Value::Null], &[1], &[]),
		("city_issuer", vec![json!(issuer), Value::Null], &[1], &[]),
		("city_merchant", vec![json!(merchant), Value::Null], &[1], &[]),
		("city_rewardsOf", vec![json!(owner.clone()), json!(0), Value::Null], &[2], &[1]),
		("city_creditStats", vec![Value::Null], &[0], &[]),
	];
	let mut calls = 0;
	for (method, params, optional, numbers) in &methods {
		assert_eq!(
			answered(port, method, &Value::Array(params.clone())),
			None,
			"the baseline {method}{params:?} must succeed"
		);
		for position in 0..params.len() {
			for bad in garbage() {
				let valid_null = bad.is_null() && optional.contains(&position);
				let any_number = bad.as_u64().is_some() && numbers.contains(&position);
				// An empty proof is well formed: it proves nothing (`{"valid": false}`).
				let empty_proof = matches!(*method, "city_verifyReading" | "city_verifyAccess")
					&& position == 4
					&& bad == json!([]);
				let mut call = params.clone();
				if let Some(slot) = call.get_mut(position) {
					*slot = bad;
				}
				let code = answered(port, method, &Value::Array(call.clone()));
				calls += 1;
				match code {
					None => assert!(
						valid_null || any_number || empty_proof,
						"{method}: garbage at {position} was accepted: {}",
						Value::Array(call).to_string().chars().take(200).collect::<String>()
					),
					Some(-32602 | 4001) => {}
					Some(4004) => assert!(any_number, "{method}: 4004 for garbage at {position}"),
					Some(other) => panic!("{method}: garbage at {position} answered {other}"),
				}
			}
		}
		// No parameters at all (fine only where every parameter is optional); and surplus
		// trailing ones (jsonrpsee ignores them).
		let none = answered(port, method, &json!([]));
		if optional.len() == params.len() {
			assert_eq!(none, None, "{method} without parameters");
		} else {
			assert!(matches!(none, Some(-32602 | 4001)), "{method} without parameters: {none:?}");
		}
		let mut extra = params.clone();
		extra.push(json!(1));
		answered(port, method, &Value::Array(extra));
		calls += 2;
	}
	// Well-typed but wrong values: numbered errors.
	let unknown = 987_654_321u64;
	for method in ["city_device", "city_latestReadings", "city_attestationCounters", "city_anchors"]
	{
		assert_eq!(answered(port, method, &json!([unknown])), Some(4004), "{method} of nothing");
	}
	assert_eq!(answered(port, "city_anchors", &json!([device, 1, 1001])), Some(4001));
	assert_eq!(answered(port, "city_parkingAvailability", &json!([1, 86_401])), Some(4001));
	assert_eq!(answered(port, "city_devicesByOwner", &json!(["z".repeat(262_144)])), Some(4001));
	assert_eq!(answered(port, "city_energyQuote", &json!([1, 0, "bid", 1_000])), Some(4009));
	assert_eq!(
		answered(port, "city_energyQuote", &json!([1, open_slot, "sell", 1_000])),
		Some(4001)
	);
	assert_eq!(answered(port, "city_energyQuote", &json!([1, open_slot, "bid", 10])), Some(4001));
	assert_eq!(answered(port, "city_energyQuote", &json!([1, u32::MAX, "bid", 1_000])), Some(4001));
	assert_eq!(answered(port, "city_ride", &json!([unknown])), Some(4004));
	assert_eq!(answered(port, "city_ridesOf", &json!([alice, null, 101])), Some(4001));
	assert_eq!(answered(port, "city_ridesOf", &json!([alice, null, 0])), Some(4001));
	// Data access: unknown holders and batches, pages out of range, proofs too long.
	let holder = access.holder;
	assert_eq!(answered(port, "city_holder", &json!([unknown as u32])), Some(4004));
	assert_eq!(answered(port, "city_accessAnchors", &json!([unknown as u32])), Some(4004));
	assert_eq!(answered(port, "city_accessAnchors", &json!([holder, 0, 0])), Some(4001));
	assert_eq!(answered(port, "city_accessAnchors", &json!([holder, 0, 1001])), Some(4001));
	let entry = access.entry.clone();
	assert_eq!(
		answered(port, "city_verifyAccess", &json!([unknown as u32, 0, entry, 0, []])),
		Some(4004)
	);
	assert_eq!(
		answered(port, "city_verifyAccess", &json!([holder, unknown as u32, entry, 0, []])),
		Some(4004)
	);
	let long_proof = vec![json!(format!("0x{}", "00".repeat(32))); 33];
	assert_eq!(
		answered(port, "city_verifyAccess", &json!([holder, access.batch, entry, 0, long_proof])),
		Some(4001)
	);
	// Accounts that are neither issuers nor merchants.
	assert_eq!(answered(port, "city_issuer", &json!([alice.clone()])), Some(4004));
	assert_eq!(answered(port, "city_merchant", &json!([alice.clone()])), Some(4004));
	// An account without grants has none.
	assert_eq!(answered(port, "city_grantsOf", &json!([alice.clone()])), None);
	// Alice has never driven nor been rated.
	assert_eq!(answered(port, "city_driver", &json!([alice])), Some(4004));
	println!("FIGURE bad input: {calls} malformed city_* calls, every one answered within 1 s");

	assert!(node.is_running(), "the node died on bad input");
	let started = Instant::now();
	rpc(port, "chain_getHeader", json!([])).expect("the node still answers");
	assert!(started.elapsed() < Duration::from_secs(1), "the node is still busy");
	rpc(port, "city_device", json!([device])).expect("and still serves city_* methods");
}
