//! Data access agents: a data holder (a utility, the planning office) that logs its accesses to
//! a citizen's data against the citizen's grants and anchors the log, and the citizen's wallet,
//! which fetches the entries and their Merkle proofs from the holder and checks each with
//! `city_verifyAccess`: in the anchored batch, and covered by a grant live at the access's time.
//!
//! The entries are encoded here byte by byte as `pallets/data-access/README.md` lays them out,
//! without the pallet's types (as a holder written in another language would), and every
//! verdict's `leaf` (the node's encoding of the same entry) must match.

use std::time::Duration;

use codec::Encode;
use serde_json::{json, Value};
use sp_core::{
	crypto::{Pair as _, Ss58Codec},
	sr25519, H256,
};

use crate::{
	account_bytes, address, call_method as rpc,
	chain::arg,
	governance::Authority,
	now_ms,
	rides::step,
	rpc::{field, hex_encode},
	Client, Options, Report,
};

/// What an access relied on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
	/// A citizen's grant.
	Grant(u64),
	/// A legal basis of the vocabulary.
	LegalBasis(u16),
}

/// One access-log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
	/// The citizen's account (or pseudonym), 32 bytes.
	pub citizen: [u8; 32],
	/// The data category's code.
	pub category: u16,
	/// The purpose's code.
	pub purpose: u16,
	/// The device whose data it was, if a device's.
	pub device: Option<u64>,
	/// The grant or legal basis cited.
	pub basis: Basis,
	/// When, Unix ms.
	pub time_ms: u64,
	/// A hash of what was accessed.
	pub data_hash: H256,
}

impl Entry {
	/// The leaf bytes, as the README lays them out: citizen (32 bytes), category (u16 LE),
	/// purpose (u16 LE), device (`00`, or `01` and the id as u64 LE), basis (`00` and the grant
	/// id as u64 LE, or `01` and the legal basis as u16 LE), time (u64 LE), data hash (32).
	pub fn leaf(&self) -> Vec<u8> {
		let mut leaf = Vec::with_capacity(94);
		leaf.extend_from_slice(&self.citizen);
		leaf.extend_from_slice(&self.category.to_le_bytes());
		leaf.extend_from_slice(&self.purpose.to_le_bytes());
		match self.device {
			None => leaf.push(0),
			Some(device) => {
				leaf.push(1);
				leaf.extend_from_slice(&device.to_le_bytes());
			}
		}
		match self.basis {
			Basis::Grant(grant) => {
				leaf.push(0);
				leaf.extend_from_slice(&grant.to_le_bytes());
			}
			Basis::LegalBasis(code) => {
				leaf.push(1);
				leaf.extend_from_slice(&code.to_le_bytes());
			}
		}
		leaf.extend_from_slice(&self.time_ms.to_le_bytes());
		leaf.extend_from_slice(self.data_hash.as_bytes());
		leaf
	}

	/// The entry as `city_verifyAccess` takes it.
	pub fn to_json(&self) -> Value {
		let (grant, legal_basis) = match self.basis {
			Basis::Grant(grant) => (Some(grant), None),
			Basis::LegalBasis(code) => (None, Some(code)),
		};
		json!({
			"citizen": hex_encode(&self.citizen),
			"category": self.category,
			"purpose": self.purpose,
			"device": self.device,
			"grant": grant,
			"legalBasis": legal_basis,
			"timeMs": self.time_ms,
			"dataHash": format!("{:?}", self.data_hash),
		})
	}
}

/// An anchored batch, as the holder keeps it to hand entries and proofs to citizens.
#[derive(Clone, Debug)]
pub struct AnchoredBatch {
	/// The holder's id.
	pub holder: u32,
	/// The batch's sequence number.
	pub batch: u32,
	/// Its entries, in leaf order.
	pub entries: Vec<Entry>,
	/// Its Merkle root.
	pub root: H256,
}

impl AnchoredBatch {
	/// Entry `index`'s Merkle proof (sibling hashes from the leaf up).
	pub fn proof(&self, index: u32) -> Option<Vec<H256>> {
		let leaves: Vec<Vec<u8>> = self.entries.iter().map(Entry::leaf).collect();
		city_device::merkle_proof_of(&leaves, index)
	}
}

/// The id of the approved data holder whose account is `account`'s, if the registrar approved
/// one (read through `city_holder`, id by id: holders are few, at most the runtime's
/// `MaxHolders`). Addresses are compared as accounts: the node answers in the chain's SS58
/// prefix.
pub fn holder_of(client: &Client, account: &sr25519::Pair) -> Result<Option<u32>, String> {
	let wanted = sp_runtime::AccountId32::from(account.public());
	for id in 0..=u32::MAX {
		match client.call("city_holder", json!([id])) {
			Ok(holder) => {
				let same = field(&holder, "account")
					.as_str()
					.and_then(|a| sp_runtime::AccountId32::from_ss58check_with_version(a).ok())
					.is_some_and(|(a, _)| a == wanted);
				if same && field(&holder, "status").as_str() == Some("approved") {
					return Ok(Some(id));
				}
			}
			Err(crate::RpcError::Rpc { code: 4004, .. }) => return Ok(None),
			Err(e) => return Err(format!("city_holder: {e}")),
		}
	}
	Ok(None)
}

/// The holder id of `account`, approved by `registrar` first if it is not a holder yet.
pub fn ensure_holder(
	client: &Client,
	account: &sr25519::Pair,
	name: &str,
	description: &str,
	registrar: &Authority,
	options: &Options,
) -> Result<(u32, Report), String> {
	if let Some(id) = holder_of(client, account)? {
		return Ok((id, Report::default()));
	}
	let at = client.chain()?.current()?;
	let public: [u8; 32] = account_bytes(account);
	let approve = at.call(
		"DataAccess",
		"approve_holder",
		&[
			("account", arg(&public)),
			("name", arg(&name.as_bytes().to_vec())),
			("description", arg(&description.as_bytes().to_vec())),
		],
	)?;
	let report = registrar.dispatch(client, "approve data holder", vec![approve], options)?;
	let id = holder_of(client, account)?.ok_or("the approved holder is not listed")?;
	Ok((id, report))
}

/// What the citizen grants.
#[derive(Clone, Debug)]
pub struct GrantTerms {
	/// The holder.
	pub holder: u32,
	/// The data category's code.
	pub category: u16,
	/// The purpose's code.
	pub purpose: u16,
	/// The hash of the consent text.
	pub terms_hash: H256,
	/// Starts this long after now (the chain refuses a start before its own time when the
	/// grant is included: the lead covers inclusion).
	pub lead: Duration,
	/// Lasts this long.
	pub duration: Duration,
}

/// The citizen grants `terms`; returns the grant's id and start (Unix ms).
pub fn grant(
	client: &Client,
	citizen: &sr25519::Pair,
	terms: &GrantTerms,
	options: &Options,
	total: &mut Report,
) -> Result<(u64, u64), String> {
	let start_ms = now_ms().saturating_add(terms.lead.as_millis() as u64);
	let expiry_ms = start_ms.saturating_add(terms.duration.as_millis() as u64);
	let at = client.chain()?.current()?;
	let call = at.call(
		"DataAccess",
		"grant",
		&[
			("holder", arg(&terms.holder)),
			("category", arg(&terms.category)),
			("purpose", arg(&terms.purpose)),
			("terms_hash", arg(&terms.terms_hash)),
			("start_ms", arg(&start_ms)),
			("expiry_ms", arg(&expiry_ms)),
			("devices", arg(&Vec::<u64>::new())),
		],
	)?;
	let done = step(client, "grant", vec![(citizen.clone(), call)], options, total)?;
	let first = done.first().ok_or("grant: not sent")?;
	let id = client
		.chain()?
		.event_field::<u64>(first.block_hash, first.index, "DataAccess", "Granted")?
		.ok_or("grant: no Granted event")?;
	Ok((id, start_ms))
}

/// The citizen revokes grant `id`; returns when it took effect (Unix ms, from
/// `city_grantsOf`).
pub fn revoke(
	client: &Client,
	citizen: &sr25519::Pair,
	id: u64,
	options: &Options,
	total: &mut Report,
) -> Result<u64, String> {
	let at = client.chain()?.current()?;
	let call = at.call("DataAccess", "revoke", &[("grant", arg(&id))])?;
	step(client, "revoke", vec![(citizen.clone(), call)], options, total)?;
	let grants = rpc(client, "city_grantsOf", json!([address(citizen)]))?;
	grants
		.as_array()
		.and_then(|grants| grants.iter().find(|g| field(g, "id").as_u64() == Some(id)))
		.and_then(|g| field(g, "revokedAtMs").as_u64())
		.ok_or_else(|| format!("grant {id} shows no revocation"))
}

/// The holder anchors `entries` as its next batch (sequence number and previous root from
/// `city_holder`; the period from the entries' times).
pub fn anchor(
	client: &Client,
	holder_account: &sr25519::Pair,
	holder: u32,
	entries: Vec<Entry>,
	options: &Options,
	total: &mut Report,
) -> Result<AnchoredBatch, String> {
	let record = rpc(client, "city_holder", json!([holder]))?;
	let batch =
		field(&record, "batches").as_u64().and_then(|b| u32::try_from(b).ok()).ok_or("batches")?;
	let previous: H256 = field(&record, "lastRoot")
		.as_str()
		.and_then(|r| r.parse().ok())
		.ok_or("city_holder: lastRoot")?;
	let leaves: Vec<Vec<u8>> = entries.iter().map(Entry::leaf).collect();
	let root = city_device::merkle_root_of(&leaves);
	let start = entries.iter().map(|e| e.time_ms).min().ok_or("an empty batch")?;
	let end = entries.iter().map(|e| e.time_ms).max().unwrap_or(start);
	let at = client.chain()?.current()?;
	let call = at.call(
		"DataAccess",
		"anchor_log",
		&[
			("batch", arg(&batch)),
			("root", arg(&root)),
			("period_start_ms", arg(&start)),
			("period_end_ms", arg(&end)),
			("count", arg(&(entries.len() as u32))),
			("previous_root", arg(&previous)),
		],
	)?;
	step(client, "anchor log", vec![(holder_account.clone(), call)], options, total)?;
	Ok(AnchoredBatch { holder, batch, entries, root })
}

/// The wallet's verdict on one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
	/// The entry's leaf index.
	pub leaf_index: u32,
	/// The access's time, Unix ms.
	pub time_ms: u64,
	/// Proven in the anchored batch.
	pub in_batch: bool,
	/// Covered by a live grant or a legal basis.
	pub covered: bool,
	/// Why not covered.
	pub not_covered: Option<String>,
}

impl Verdict {
	/// The wallet flags an access that is in the log and that nothing covered.
	pub fn flagged(&self) -> bool {
		self.in_batch && !self.covered
	}
}

/// The citizen's wallet checks every entry of `batch` with `city_verifyAccess` at the
/// finalized head. Fails if the node's encoding of an entry is not this module's.
pub fn verify_batch(client: &Client, batch: &AnchoredBatch) -> Result<Vec<Verdict>, String> {
	let heads = client.heads().map_err(|e| e.to_string())?;
	let head = client
		.block_hash(heads.finalized())
		.map_err(|e| e.to_string())?
		.ok_or("no finalized block hash")?;
	let mut verdicts = Vec::new();
	for (index, entry) in batch.entries.iter().enumerate() {
		let leaf_index = index as u32;
		let proof: Vec<String> =
			batch.proof(leaf_index).ok_or("no proof")?.iter().map(|h| format!("{h:?}")).collect();
		let answer = rpc(
			client,
			"city_verifyAccess",
			json!([
				batch.holder,
				batch.batch,
				entry.to_json(),
				leaf_index,
				proof,
				format!("{head:?}")
			]),
		)?;
		let leaf = hex_encode(&entry.leaf());
		if field(&answer, "leaf").as_str() != Some(leaf.as_str()) {
			return Err(format!(
				"the node encodes entry {index} as {}, the README's layout gives {leaf}",
				field(&answer, "leaf")
			));
		}
		verdicts.push(Verdict {
			leaf_index,
			time_ms: entry.time_ms,
			in_batch: field(&answer, "inBatch").as_bool() == Some(true),
			covered: field(&answer, "covered").as_bool() == Some(true),
			not_covered: field(&answer, "notCovered").as_str().map(str::to_owned),
		});
	}
	Ok(verdicts)
}

/// What [`grant_log_revoke_verify`] did.
#[derive(Clone, Debug)]
pub struct AccessReport {
	/// The holder's id.
	pub holder: u32,
	/// The citizen's grant.
	pub grant: u64,
	/// When the citizen revoked it, Unix ms.
	pub revoked_at_ms: u64,
	/// The anchored batch.
	pub batch: AnchoredBatch,
	/// The wallet's verdicts, in leaf order.
	pub verdicts: Vec<Verdict>,
	/// The transactions sent.
	pub submissions: Report,
}

impl AccessReport {
	/// The report as one JSON line.
	pub fn to_json(&self) -> Value {
		json!({
			"mode": "access",
			"holder": self.holder,
			"grant": self.grant,
			"revokedAtMs": self.revoked_at_ms,
			"batch": self.batch.batch,
			"root": format!("{:?}", self.batch.root),
			"entries": self.verdicts.iter().map(|v| json!({
				"leafIndex": v.leaf_index,
				"timeMs": v.time_ms,
				"inBatch": v.in_batch,
				"covered": v.covered,
				"notCovered": v.not_covered,
				"flagged": v.flagged(),
			})).collect::<Vec<_>>(),
			"covered": self.verdicts.iter().filter(|v| v.in_batch && v.covered).count(),
			"flagged": self.verdicts.iter().filter(|v| v.flagged()).count(),
			"submitted": self.submissions.submitted,
			"finalized": self.submissions.finalized,
		})
	}
}

/// A citizen grants `holder_account`'s organisation access to a category for a purpose; the
/// holder logs `covered` accesses while the grant is live; the citizen revokes it; the holder
/// logs `after_revocation` more (citing the revoked grant, as a careless holder would) and
/// anchors all of them as one batch; the citizen's wallet verifies every entry. The holder is
/// approved by `registrar` first if needed.
#[allow(clippy::too_many_arguments)]
pub fn grant_log_revoke_verify(
	client: &Client,
	holder_account: &sr25519::Pair,
	citizen: &sr25519::Pair,
	registrar: &Authority,
	category: u16,
	purpose: u16,
	covered: u32,
	after_revocation: u32,
	options: &Options,
) -> Result<AccessReport, String> {
	let (holder, mut submissions) = ensure_holder(
		client,
		holder_account,
		"City planning office (simulated)",
		"Mobility and energy planning from citizens' meter and ride data",
		registrar,
		options,
	)?;
	let terms = GrantTerms {
		holder,
		category,
		purpose,
		terms_hash: H256(city_device::blake2_256(b"city-sim consent terms v1")),
		lead: Duration::from_secs(45),
		duration: Duration::from_secs(30 * 24 * 3600),
	};
	let (grant_id, start_ms) = grant(client, citizen, &terms, options, &mut submissions)?;
	let entry = |time_ms: u64, n: u32| Entry {
		citizen: account_bytes(citizen),
		category,
		purpose,
		device: None,
		basis: Basis::Grant(grant_id),
		time_ms,
		data_hash: H256(city_device::blake2_256(&(b"query", time_ms, n).encode())),
	};
	// The accesses while the grant is live: a second apart from its start.
	let mut entries: Vec<Entry> =
		(0..covered).map(|n| entry(start_ms + 1_000 * u64::from(n + 1), n)).collect();
	let last_covered = start_ms + 1_000 * u64::from(covered + 1);
	while now_ms() < last_covered {
		std::thread::sleep(Duration::from_millis(500));
	}
	let revoked_at_ms = revoke(client, citizen, grant_id, options, &mut submissions)?;
	entries.extend(
		(0..after_revocation).map(|n| {
			entry(revoked_at_ms.max(last_covered) + 1_000 * u64::from(n + 1), covered + n)
		}),
	);
	// The chain takes a period that ends at most a minute past its own time.
	let last = entries.iter().map(|e| e.time_ms).max().unwrap_or(0);
	while now_ms() < last {
		std::thread::sleep(Duration::from_millis(500));
	}
	let batch = anchor(client, holder_account, holder, entries, options, &mut submissions)?;
	let verdicts = verify_batch(client, &batch)?;
	Ok(AccessReport { holder, grant: grant_id, revoked_at_ms, batch, verdicts, submissions })
}
