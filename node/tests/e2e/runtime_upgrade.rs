//! End-to-end: the council upgrades the runtime of a live 4-validator network, exactly as the
//! operators' runbook (`docs/upgrades.md`) says. It runs on the validator-set scenario's
//! network when that scenario is done (Alice, Bob, Charlie and Eve validate; Dave, voted out,
//! still runs a full node), so no second network is started.
//!
//! 1. The network started from the local testnet's genesis with the ride settlement pallet's
//!    storage version taken out ([`local_spec_with_rides_at_v0`]): a chain whose pallet is at
//!    storage version 0, as one that got the pallet before its v1 migration.
//! 2. A polkadot.js client connects (`scripts/pjs-check/upgrade-client.mjs`).
//! 3. One council motion (two thirds) whitelists and dispatches
//!    `system.authorizeUpgrade(hash of the new code)`; the local testnet has no sudo key.
//! 4. Anyone (Ferdie, no council member) enacts it with `system.applyAuthorizedUpgrade(code)`:
//!    the code is the upgrade rehearsal (`citychain_runtime::upgrade_rehearsal`, this runtime
//!    with spec and transaction version 999,999,999, built by the runtime's build script).
//! 5. Checks: every node reports the new version (`state_getRuntimeVersion`); blocks are
//!    authored and finalized past the upgrade on every node; the ride pallet's migration ran
//!    (storage version 1, the deadline cursor at the upgrade or later); the polkadot.js client
//!    that was connected before the upgrade saw it and had a transfer finalized after it.

use std::{
	io::{BufRead, BufReader},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::mpsc,
	time::Duration,
};

use crate::common::*;
use codec::{Decode, Encode};
use frame_support::traits::{PalletInfoAccess, StorageVersion};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::traits::Hash as _;

type Hashing = <citychain_runtime::Runtime as frame_system::Config>::Hashing;

/// The rehearsal's spec and transaction version.
const REHEARSAL: (u64, u64) = (999_999_999, 999_999_999);

/// The raw local-testnet chain spec without the ride settlement pallet's storage version, so
/// the chain starts with that pallet at storage version 0. Written into `dir`.
pub fn local_spec_with_rides_at_v0(dir: &Path) -> PathBuf {
	let out = Command::new(NODE_BIN)
		.args(["build-spec", "--chain", "local", "--raw"])
		.output()
		.expect("run build-spec");
	assert!(out.status.success(), "build-spec: {}", String::from_utf8_lossy(&out.stderr));
	let mut spec: Value = serde_json::from_slice(&out.stdout).expect("chain spec JSON");
	let top = spec["genesis"]["raw"]["top"].as_object_mut().expect("a raw genesis");
	let key = hex_encode(&ride_storage_version_key());
	let stored =
		top.remove(&key).expect("the local genesis sets the ride pallet's storage version");
	assert_eq!(stored, json!(hex_encode(&1u16.encode())), "genesis at the pallet's version 1");
	let path = dir.join("local-rides-v0.json");
	std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
	path
}

/// `System::AuthorizedUpgrade` (private to frame-system: by its name).
fn authorized_upgrade_key() -> [u8; 32] {
	frame_support::storage::storage_prefix(b"System", b"AuthorizedUpgrade")
}

fn ride_storage_version_key() -> [u8; 32] {
	StorageVersion::storage_key::<citychain_runtime::RideSettlement>()
}

/// A storage value at `at` (the best block if `None`), if set.
fn storage(port: u16, key: &[u8], at: Option<H256>) -> Option<Vec<u8>> {
	let at = at.map(|hash| format!("{hash:?}"));
	let value = rpc(port, "state_getStorage", json!([hex_encode(key), at])).expect("getStorage");
	value.as_str().map(hex_decode)
}

/// The ride settlement pallet's on-chain storage version (0 when unset, as FRAME reads it).
fn ride_storage_version(port: u16, at: H256) -> u16 {
	storage(port, &ride_storage_version_key(), Some(at))
		.map(|bytes| u16::decode(&mut &bytes[..]).expect("a storage version"))
		.unwrap_or(0)
}

/// The ride deadline queue's cursor (`RideSettlement::DeadlinesFrom`) at `at`.
fn ride_deadline_cursor(port: u16, at: H256) -> u32 {
	let key = frame_support::storage::storage_prefix(
		<citychain_runtime::RideSettlement as PalletInfoAccess>::name().as_bytes(),
		b"DeadlinesFrom",
	);
	storage(port, &key, Some(at))
		.map(|bytes| u32::decode(&mut &bytes[..]).expect("a block number"))
		.unwrap_or(0)
}

/// `(specVersion, transactionVersion)` of the runtime at `at` (the best block if `None`).
fn versions(port: u16, at: Option<H256>) -> (u64, u64) {
	let at = at.map(|hash| format!("{hash:?}"));
	let version = rpc(port, "state_getRuntimeVersion", json!([at])).unwrap();
	(version["specVersion"].as_u64().unwrap(), version["transactionVersion"].as_u64().unwrap())
}

/// The polkadot.js client (`scripts/pjs-check/upgrade-client.mjs`), its stdout lines read on a
/// thread so that waits have deadlines.
struct PjsClient {
	child: Child,
	lines: mpsc::Receiver<String>,
}

impl PjsClient {
	fn start(port: u16) -> Self {
		let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pjs-check");
		assert!(
			dir.join("node_modules/@polkadot/api").is_dir(),
			"@polkadot/api is not installed: run `npm install` in {} (scripts/test.sh does)",
			dir.display()
		);
		let mut child = Command::new("node")
			.arg("upgrade-client.mjs")
			.arg(format!("ws://127.0.0.1:{port}"))
			.current_dir(&dir)
			.stdout(Stdio::piped())
			.spawn()
			.expect("node.js (scripts/setup.sh installs it)");
		let stdout = child.stdout.take().unwrap();
		let (send, lines) = mpsc::channel();
		std::thread::spawn(move || {
			for line in BufReader::new(stdout).lines().map_while(Result::ok) {
				println!("polkadot.js: {line}");
				if send.send(line).is_err() {
					break;
				}
			}
		});
		PjsClient { child, lines }
	}

	/// The next line of the client's own protocol (`connected`, `upgraded`, `transferred`;
	/// polkadot.js's log lines in between are skipped), which must begin with `word`: its
	/// other words.
	fn expect(&mut self, word: &str, timeout: Duration) -> Vec<String> {
		const PROTOCOL: [&str; 3] = ["connected", "upgraded", "transferred"];
		let deadline = std::time::Instant::now() + timeout;
		loop {
			let left = deadline.saturating_duration_since(std::time::Instant::now());
			let line = self.lines.recv_timeout(left).unwrap_or_else(|_| {
				let status = self.child.try_wait().ok().flatten();
				panic!("polkadot.js client printed no `{word}` line within {timeout:?} (exit {status:?})")
			});
			let mut words = line.split_whitespace().map(String::from);
			let first = words.next().unwrap_or_default();
			if !PROTOCOL.contains(&first.as_str()) {
				continue;
			}
			assert_eq!(first, word, "polkadot.js client: {line}");
			return words.collect();
		}
	}
}

impl Drop for PjsClient {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Steps 2 to 5 (see the module's doc) on the running network: `ports` are every node's RPC
/// ports, the first a validator's; `council` the council's members.
pub fn the_council_upgrades_the_live_network(ports: &[u16], council: &[sr25519::Pair]) {
	let port = ports[0];
	let real = &citychain_runtime::VERSION;
	let old = (u64::from(real.spec_version), u64::from(real.transaction_version));
	for &node in ports {
		assert_eq!(versions(node, None), old, "node on {node} before the upgrade");
	}
	let (head, _) = finalized(port).unwrap();
	assert_eq!(ride_storage_version(port, head), 0, "the chain starts at ride storage v0");

	// 2. Connected before the upgrade, to another node than the one the upgrade goes through.
	let mut client = PjsClient::start(ports[1]);
	let connected = client.expect("connected", Duration::from_secs(60));
	assert_eq!(connected, [old.0.to_string()]);

	// 3. The motion: whitelist `system.authorizeUpgrade(code_hash)` and dispatch it as root.
	let code = citychain_runtime::upgrade_rehearsal::WASM_BINARY
		.expect("the runtime's build script builds the upgrade rehearsal");
	let code_hash = Hashing::hash(code);
	let authorize =
		citychain_runtime::RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash });
	let motion = citychain_runtime::RuntimeCall::Utility(pallet_utility::Call::batch_all {
		calls: vec![
			citychain_runtime::RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call {
				call_hash: Hashing::hash_of(&authorize),
			}),
			citychain_runtime::RuntimeCall::Whitelist(
				pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
					call: Box::new(authorize),
				},
			),
		],
	});
	let passed = council_motion(port, council, motion, Duration::from_secs(60));
	let authorized = storage(port, &authorized_upgrade_key(), Some(passed))
		.expect("the motion authorized the upgrade");
	assert_eq!(&authorized[..32], code_hash.as_bytes(), "the authorized code hash");

	// 4. Enacted by someone outside the council, with the code (free when it is the one).
	let ferdie = sr25519::Pair::from_string("//Ferdie", None).unwrap();
	let (_, authorized_at) = finalized(port).unwrap();
	let enacted = submit_and_finalize(
		port,
		&ferdie,
		citychain_runtime::RuntimeCall::System(frame_system::Call::apply_authorized_upgrade {
			code: code.to_vec(),
		}),
		Duration::from_secs(120),
	);
	assert_eq!(
		storage(port, &authorized_upgrade_key(), Some(enacted)),
		None,
		"the authorization is used up"
	);

	// 5. Every node runs the new runtime, and keeps authoring and finalizing with it.
	for &node in ports {
		wait_for("the new runtime on every node", Duration::from_secs(60), || {
			(versions(node, None) == REHEARSAL).then_some(())
		});
	}
	let (_, upgraded_number) = finalized(port).unwrap();
	for &node in ports {
		wait_for("finality 5 blocks past the upgrade", Duration::from_secs(120), || {
			finalized(node).filter(|(_, n)| *n >= upgraded_number + 5)
		});
		let (head, _) = finalized(node).unwrap();
		assert_eq!(versions(node, Some(head)), REHEARSAL, "finalized head of {node}");
	}
	let (head, head_number) = finalized(port).unwrap();
	let mut authors = std::collections::BTreeSet::new();
	let mut hash = head;
	for _ in 0..5 {
		authors.insert(block_author(port, hash).expect("an Aura block").encode());
		let header = rpc(port, "chain_getHeader", json!([format!("{hash:?}")])).unwrap();
		hash = H256::from_slice(&hex_decode(header["parentHash"].as_str().unwrap()));
	}
	assert!(authors.len() >= 2, "blocks after the upgrade by more than one validator");
	println!(
		"FIGURE runtime upgrade: authorized at #{authorized_at}, enacted and finalized by \
		 #{upgraded_number}, finalized #{head_number} on every node"
	);

	// The ride pallet's migration ran in the first block of the new runtime: only it writes
	// storage version 1 (its version guard). The cursor it moves is also moved by `on_idle`
	// on a live chain, so here it only has to read right; the unit tests pin the migration's
	// own effect on it.
	assert_eq!(ride_storage_version(port, head), 1, "ride settlement migrated to v1");
	assert!(
		ride_deadline_cursor(port, head) > authorized_at,
		"the deadline cursor is at the upgrade or later"
	);

	// The polkadot.js client saw the upgrade by itself and signs for the new runtime.
	let upgraded = client.expect("upgraded", Duration::from_secs(60));
	assert_eq!(upgraded, [REHEARSAL.0.to_string(), REHEARSAL.1.to_string()]);
	let transferred = client.expect("transferred", Duration::from_secs(120));
	assert_eq!(transferred[0], REHEARSAL.0.to_string());
	let block = H256::from_slice(&hex_decode(&transferred[1]));
	assert_eq!(versions(port, Some(block)), REHEARSAL, "the transfer's block runs the new runtime");
	let status = client.child.wait().unwrap();
	assert!(status.success(), "polkadot.js client: {status}");
}
