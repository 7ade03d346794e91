//! Acting as the city's governance, for what only a city role may do (certifying devices,
//! arbitrating rides): on a development chain through the sudo key (root); on any other chain
//! (a local testnet, a city network: no sudo key) through a council motion, proposed, voted and
//! closed by the council's members, as a city would.

use codec::{Compact, Encode};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519, H256};

use crate::{
	chain::{arg, Call, PairSigner},
	next_nonce, resigner, tracker, Client, Options, Outcome, Report, Submission,
};

/// Most calls in one batch (one sudo call or one motion): a motion dispatches at most half a
/// block's weight.
pub const MAX_CALLS_PER_BATCH: usize = 500;

/// The weight bound a motion is closed with: a quarter of a block's 2 s of compute, 5 MiB of
/// proof (what [`MAX_CALLS_PER_BATCH`] registry or ride calls take at most).
const MOTION_WEIGHT_BOUND: (u64, u64) = (500_000_000_000, 5 * 1024 * 1024);

/// Who acts for the city.
#[derive(Clone)]
pub enum Authority {
	/// The sudo key (development chains).
	Sudo(Box<sr25519::Pair>),
	/// The council's members: the first proposes, all vote aye (the motion's threshold is all
	/// of them, which meets every role's proportion).
	Council(Vec<sr25519::Pair>),
}

impl Authority {
	/// The sudo key `key`.
	pub fn sudo(key: sr25519::Pair) -> Self {
		Authority::Sudo(Box::new(key))
	}

	/// `sudo` on a development chain; the council `members` on any other chain.
	pub fn for_chain(
		client: &Client,
		sudo: &sr25519::Pair,
		members: &[sr25519::Pair],
	) -> Result<Self, String> {
		let chain_type = client.call("system_chainType", json!([])).map_err(|e| e.to_string())?;
		if chain_type.as_str() == Some("Development") {
			return Ok(Authority::sudo(sudo.clone()));
		}
		if members.is_empty() {
			return Err(format!(
				"a {chain_type} chain is governed by its council: name its members"
			));
		}
		Ok(Authority::Council(members.to_vec()))
	}

	/// Dispatches `calls` with the city's authority, in batches of at most
	/// [`MAX_CALLS_PER_BATCH`] (`utility.batchAll`: all or nothing). Fails unless every batch
	/// was dispatched and succeeded. Returns the counts of every transaction sent.
	pub fn dispatch(
		&self,
		client: &Client,
		what: &str,
		calls: Vec<Call>,
		options: &Options,
	) -> Result<Report, String> {
		let mut total = Report::default();
		for chunk in calls.chunks(MAX_CALLS_PER_BATCH) {
			let at = client.chain()?.current()?;
			let mut encoded = Vec::new();
			for call in chunk {
				encoded.push(at.call_data(call)?);
			}
			// `Vec<RuntimeCall>` is the calls' encodings after their count.
			let mut calls_arg = Compact(encoded.len() as u32).encode();
			for call in &encoded {
				calls_arg.extend_from_slice(call);
			}
			let batch = at.call("Utility", "batch_all", &[("calls", calls_arg)])?;
			let batch = at.call_data(&batch)?;
			match self {
				Authority::Sudo(key) => {
					let call = at.call("Sudo", "sudo", &[("call", batch)])?;
					let done = send(
						client,
						what,
						vec![(key.as_ref().clone(), call)],
						options,
						&mut total,
					)?;
					for (hash, index) in done {
						// `Sudid { sudo_result: DispatchResult }`: 0 is `Ok`.
						let result = client.chain()?.event_bytes(hash, index, "Sudo", "Sudid")?;
						if result.and_then(|r| r.first().copied()) != Some(0) {
							return Err(format!("{what}: the sudo call failed"));
						}
					}
				}
				Authority::Council(members) => {
					council_motion(client, what, members, batch, options, &mut total)?
				}
			}
		}
		Ok(total)
	}
}

/// A motion for the encoded call `proposal`: the first member proposes it with everyone as the
/// threshold, everyone votes aye (proposing is not voting), the first closes it; fails unless it was executed and the
/// call succeeded.
fn council_motion(
	client: &Client,
	what: &str,
	members: &[sr25519::Pair],
	proposal: Vec<u8>,
	options: &Options,
	total: &mut Report,
) -> Result<(), String> {
	let Some(proposer) = members.first() else { return Err("no council member".into()) };
	let at = client.chain()?.current()?;
	let length = proposal.len() as u32;
	let threshold = Compact(members.len() as u32);
	let propose = at.call(
		"Council",
		"propose",
		&[
			("threshold", arg(&threshold)),
			("proposal", proposal),
			("length_bound", arg(&Compact(length))),
		],
	)?;
	let done = send(client, what, vec![(proposer.clone(), propose)], options, total)?;
	let (block, index) = done.first().copied().ok_or("no proposal")?;
	// `Proposed { account, proposal_index, proposal_hash, threshold }`.
	let proposed =
		client.chain()?.event_bytes(block, index, "Council", "Proposed")?.ok_or_else(|| {
			format!("{what}: the proposal made no motion (is the proposer a member?)")
		})?;
	let (_, motion, hash, _) =
		<([u8; 32], u32, H256, u32) as codec::Decode>::decode(&mut &proposed[..])
			.map_err(|e| format!("{what}: Proposed: {e}"))?;
	let at = client.chain()?.current()?;
	let mut votes = Vec::new();
	for member in members {
		let vote = at.call(
			"Council",
			"vote",
			&[("proposal", arg(&hash)), ("index", arg(&Compact(motion))), ("approve", arg(&true))],
		)?;
		votes.push((member.clone(), vote));
	}
	send(client, what, votes, options, total)?;
	let at = client.chain()?.current()?;
	let (ref_time, proof_size) = MOTION_WEIGHT_BOUND;
	let close = at.call(
		"Council",
		"close",
		&[
			("proposal_hash", arg(&hash)),
			("index", arg(&Compact(motion))),
			("proposal_weight_bound", arg(&(Compact(ref_time), Compact(proof_size)))),
			("length_bound", arg(&Compact(length))),
		],
	)?;
	let done = send(client, what, vec![(proposer.clone(), close)], options, total)?;
	let (block, index) = done.first().copied().ok_or("no close")?;
	// `Executed { proposal_hash, result: DispatchResult }`: 0 after the hash is `Ok`.
	let executed = client.chain()?.event_bytes(block, index, "Council", "Executed")?;
	match executed.as_ref().and_then(|e| e.get(32).copied()) {
		Some(0) => Ok(()),
		Some(_) => Err(format!("{what}: the council's motion passed but its call failed")),
		None => Err(format!("{what}: the council's motion was not executed")),
	}
}

/// Sends each `(signer, call)` (a signer's in nonce order) and follows them to finality; every
/// one must be finalized and succeed. Returns where each went.
fn send(
	client: &Client,
	what: &str,
	calls: Vec<(sr25519::Pair, Call)>,
	options: &Options,
	total: &mut Report,
) -> Result<Vec<(H256, u32)>, String> {
	let at = client.chain()?.current()?;
	let mut nonces: Vec<(sr25519::Public, u32)> = Vec::new();
	let mut submissions = Vec::new();
	for (signer, call) in calls {
		let public = signer.public();
		let lane = match nonces.iter().position(|(who, _)| *who == public) {
			Some(lane) => lane,
			None => {
				let next = next_nonce(client, &signer).map_err(|e| e.to_string())?;
				nonces.push((public, next));
				nonces.len() - 1
			}
		};
		let Some((_, nonce)) = nonces.get_mut(lane) else { continue };
		let this = *nonce;
		*nonce += 1;
		submissions.push(Submission {
			label: format!("{what} ({lane})"),
			lane: lane as u64,
			extrinsic: at.signed(&PairSigner(signer.clone()), &call, this.into())?,
			resign: Some(resigner(client, signer, call, this)),
		});
	}
	let count = submissions.len();
	let lanes = Options { lane_limit: options.max_in_flight, ..options.clone() };
	let (report, outcomes) =
		tracker::run(client, submissions, &lanes).map_err(|e| e.to_string())?;
	total.submitted += report.submitted;
	total.finalized += report.finalized;
	total.rejected += report.rejected;
	total.failed += report.failed;
	total.resubmitted += report.resubmitted;
	if report.finalized != count {
		return Err(format!(
			"{what}: {} of {count} finalized: {:?}",
			report.finalized, report.problems
		));
	}
	outcomes
		.iter()
		.map(|outcome| match outcome {
			Outcome::Finalized { block_hash, index, .. } => Ok((*block_hash, *index)),
			other => Err(format!("{what}: {other:?}")),
		})
		.collect()
}
