//! End-to-end: data access on the running dev node of the attestation scenario (no node of its
//! own), through the simulator's holder and citizen agents ([`city_sim::access`]). The
//! registrar approves Ferdie's planning office as a data holder; Eve grants it access to her
//! energy meter readings for urban planning; the office logs two accesses, Eve revokes the
//! grant, the office logs a third citing the revoked grant and anchors all three (entries
//! encoded from the README's byte layout, outside the node). `city_verifyAccess` proves all
//! three in the batch, covers the first two by the grant and flags the third as revoked; the
//! grant's deposit went back on revocation, the anchor's is held, and `city_accessAnchors`
//! shows an intact chain. Returns what the bad-input scenario needs.

use std::time::Duration;

use city_sim::{access, governance::Authority, Options};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

/// The energy meter readings category and the urban planning purpose of the presets'
/// vocabulary.
const ENERGY: u16 = 1;
const PLANNING: u16 = 2;

fn dev(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

/// What the bad-input scenario calls `city_*` data-access methods with.
pub struct AccessFixture {
	/// A citizen with a grant.
	pub citizen: String,
	/// A holder with an anchored batch.
	pub holder: u32,
	/// That batch.
	pub batch: u32,
	/// An entry of it, as `city_verifyAccess` takes it.
	pub entry: Value,
	/// Its leaf index.
	pub leaf_index: u32,
	/// Its proof.
	pub proof: Vec<String>,
}

pub fn a_citizen_flags_the_access_made_after_revoking_consent(
	client: &city_sim::Client,
	rpc_port: u16,
) -> AccessFixture {
	let options = Options {
		resubmit_after: Duration::from_secs(12),
		timeout: Duration::from_secs(240),
		verbose: true,
		..Options::default()
	};
	let (ferdie, eve) = (dev("Ferdie"), dev("Eve"));
	let eve_account: citychain_runtime::AccountId = eve.public().into();
	let ferdie_account: citychain_runtime::AccountId = ferdie.public().into();
	let (head, _) = finalized(rpc_port).unwrap();
	let eve_before = account_info(rpc_port, &eve_account, head).unwrap().data;
	let ferdie_before = account_info(rpc_port, &ferdie_account, head).unwrap().data;

	let report = access::grant_log_revoke_verify(
		client,
		&ferdie,
		&eve,
		&Authority::sudo(dev("Alice")),
		ENERGY,
		PLANNING,
		2,
		1,
		&options,
	)
	.unwrap();
	println!("{}", report.to_json());
	let verdicts: Vec<(bool, bool, Option<&str>)> =
		report.verdicts.iter().map(|v| (v.in_batch, v.covered, v.not_covered.as_deref())).collect();
	assert_eq!(
		verdicts,
		vec![(true, true, None), (true, true, None), (true, false, Some("revoked"))],
		"the two accesses under the grant are covered, the one after revoking is flagged"
	);
	assert!(report.verdicts[2].time_ms >= report.revoked_at_ms);

	// The grant as the citizen's wallet lists it: closed at the revocation, deposit returned.
	let grants = rpc(rpc_port, "city_grantsOf", json!([eve_account.to_string()])).unwrap();
	let grant = grants
		.as_array()
		.unwrap()
		.iter()
		.find(|g| g["id"].as_u64() == Some(report.grant))
		.unwrap()
		.clone();
	assert_eq!(grant["open"], json!(false));
	assert_eq!(grant["revokedAtMs"], json!(report.revoked_at_ms));
	assert_eq!(grant["endMs"], json!(report.revoked_at_ms));
	assert_eq!(
		(grant["holder"].clone(), grant["category"].clone()),
		(json!(report.holder), json!(ENERGY))
	);
	let (head, _) = finalized(rpc_port).unwrap();
	let eve_after = account_info(rpc_port, &eve_account, head).unwrap().data;
	let ferdie_after = account_info(rpc_port, &ferdie_account, head).unwrap().data;
	// The grant's deposit was held and released: Eve holds no more than before.
	assert_eq!(eve_after.reserved, eve_before.reserved, "the grant's deposit is back");
	// The anchor's deposit stays held, for as long as the anchor is stored.
	let page = rpc(rpc_port, "city_accessAnchors", json!([report.holder])).unwrap();
	assert_eq!(page["intact"], json!(true));
	assert_eq!(page["breaks"], json!([]));
	let anchors = page["anchors"].as_array().unwrap();
	let anchored = anchors.iter().find(|a| a["batch"] == json!(report.batch.batch)).unwrap();
	assert_eq!(anchored["root"], json!(format!("{:?}", report.batch.root)));
	assert_eq!(anchored["count"], json!(3));
	let anchor_deposit: u128 = anchored["deposit"].as_str().unwrap().parse().unwrap();
	assert!(anchor_deposit > 0);
	assert_eq!(ferdie_after.reserved, ferdie_before.reserved + anchor_deposit);

	// A tampered entry (another time) is not in the batch; the holder's record counts it.
	let mut tampered = report.batch.entries[0].clone();
	tampered.time_ms += 1;
	let proof: Vec<String> =
		report.batch.proof(0).unwrap().iter().map(|h| format!("{h:?}")).collect();
	let verdict = rpc(
		rpc_port,
		"city_verifyAccess",
		json!([report.holder, report.batch.batch, tampered.to_json(), 0, proof.clone()]),
	)
	.unwrap();
	assert_eq!(
		(verdict["inBatch"].clone(), verdict["notInBatch"].clone()),
		(json!(false), json!("badProof"))
	);
	let holder = rpc(rpc_port, "city_holder", json!([report.holder])).unwrap();
	assert_eq!(holder["status"], json!("approved"));
	assert_eq!(holder["lastRoot"], json!(format!("{:?}", report.batch.root)));
	println!(
		"FIGURE data access: {} transactions (approve, grant, revoke, anchor), {} of {} entries flagged",
		report.submissions.finalized,
		report.verdicts.iter().filter(|v| v.flagged()).count(),
		report.verdicts.len()
	);
	AccessFixture {
		citizen: eve_account.to_string(),
		holder: report.holder,
		batch: report.batch.batch,
		entry: report.batch.entries[0].to_json(),
		leaf_index: 0,
		proof,
	}
}
