//! The `city-sim` binary without a node: deterministic keys, and clear errors (exit code 2)
//! for a bad or unreachable endpoint or an unknown device class.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn city_sim(args: &[&str]) -> (i32, String, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_city-sim")).args(args).output().unwrap();
	(
		out.status.code().unwrap_or(-1),
		String::from_utf8_lossy(&out.stdout).to_string(),
		String::from_utf8_lossy(&out.stderr).to_string(),
	)
}

#[test]
fn keys_are_printed_as_json_and_are_deterministic() {
	let (code, first, _) = city_sim(&["keys", "--seed", "cli-test", "--count", "2"]);
	assert_eq!(code, 0);
	let lines: Vec<serde_json::Value> =
		first.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
	assert_eq!(lines.len(), 2);
	assert_eq!(lines[1]["index"], 1);
	assert_eq!(lines[0]["scheme"], "ed25519");
	let key = lines[0]["publicKey"].as_str().unwrap();
	assert_eq!(key.len(), 66, "0x + 32 bytes: {key}");
	let expected = city_sim::device::fleet_key("cli-test", 0).verifying_key().to_bytes();
	assert_eq!(key, city_sim::rpc::hex_encode(&expected));
	let (_, again, _) = city_sim(&["keys", "--seed", "cli-test", "--count", "2"]);
	assert_eq!(first, again);
}

#[test]
fn an_unreachable_node_is_a_clear_error() {
	// Port 9 (discard) on loopback: nothing listens there.
	let (code, stdout, stderr) =
		city_sim(&["--url", "http://127.0.0.1:9", "readings", "--devices", "1"]);
	assert_eq!(code, 2, "{stdout}{stderr}");
	assert!(stderr.starts_with("city-sim: transport:"), "{stderr}");
	let (code, _, stderr) = city_sim(&["--url", "ws://127.0.0.1:port", "readings"]);
	assert_eq!(code, 2);
	assert!(stderr.contains("bad port"), "{stderr}");
	let (code, _, stderr) = city_sim(&["--url", "ftp://127.0.0.1:21", "readings"]);
	assert_eq!(code, 2);
	assert!(stderr.contains("ws://, wss://"), "{stderr}");
}

#[test]
fn an_unknown_device_class_is_refused_before_anything_is_sent() {
	let (code, _, stderr) =
		city_sim(&["--url", "http://127.0.0.1:9", "register", "--class", "toaster"]);
	assert_eq!(code, 2);
	assert!(stderr.contains("unknown device class \"toaster\""), "{stderr}");
}
