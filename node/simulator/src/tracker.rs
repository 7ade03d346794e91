//! Submission tracking: every transaction is followed until it is in a finalized block.
//!
//! Under load a Substrate transaction pool drops transactions it had accepted (its limits, a
//! revalidation, a rate limit reached at block building) without telling the submitter. So the
//! tracker does not trust an accepted submission: it scans every finalized block for the hashes
//! it sent (the node announces finalized heads over the WebSocket subscription; every block
//! number up to the announced one is read, so none is skipped), and sends again whatever is
//! still unseen after `resubmit_after`:
//! - the pool still has it (`1013 already imported`): keep waiting;
//! - the pool accepts it again: it had been dropped; counted as *resubmitted*;
//! - the pool banned its bytes (`1012`, after a drop): a fresh variant is signed (`resign`) and
//!   sent instead; both hashes are tracked;
//! - the pool says it is outdated: it is in a block that is not final yet; wait for that, and
//!   give up (rejected) only if no finalized block shows it within `stale_grace`;
//! - the pool says the signature of a signed transaction is bad: it was built for runtime
//!   versions the chain no longer has (an upgrade changed `transaction_version`) or its mortal
//!   era wrapped; it is signed again for the chain as it is now and sent after
//!   `resubmit_after`, at most [`MAX_RESIGNS`] times, then rejected (a real forgery stays bad).
//!
//! A first submission the pool refuses as invalid is *rejected* (a replay, a forged reading);
//! one it refuses for now (full pool, rate limit, future) is retried.

use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	time::{Duration, Instant},
};

use city_device::blake2_256;
use serde_json::json;
use sp_core::H256;

use crate::rpc::{hex_encode, Client, RpcError};

/// Builds a fresh variant of a transaction (other bytes, same effect) for attempt `n`, when the
/// pool has banned the bytes sent before or calls their signature stale; `None` if it cannot be
/// built now (the chain cannot be asked): the old bytes wait for the next try.
pub type Resign = Box<dyn FnMut(u32) -> Option<Vec<u8>>>;

/// One transaction to get into a finalized block.
pub struct Submission {
	/// What it is, for reports (`device 7 reading 12`).
	pub label: String,
	/// Ordering lane: transactions of one lane (a device's readings, an account's nonces) are
	/// sent in order, at most `lane_limit` of them unfinalized at a time.
	pub lane: u64,
	/// The encoded extrinsic.
	pub extrinsic: Vec<u8>,
	/// How to make a fresh variant, if one can be made.
	pub resign: Option<Resign>,
}

/// How often one submission is signed again because the pool called its signature bad,
/// before it counts as rejected (a real forgery stays bad however often it is signed).
pub const MAX_RESIGNS: u32 = 3;

/// How the tracker paces itself.
#[derive(Clone, Debug)]
pub struct Options {
	/// Most submissions sent and not yet finalized, overall.
	pub max_in_flight: usize,
	/// Most submissions sent and not yet finalized, per lane (the pallet's pending window).
	pub lane_limit: usize,
	/// Most extrinsics in one JSON-RPC batch request.
	pub rpc_batch: usize,
	/// A submission not finalized this long after it was last sent is sent again.
	pub resubmit_after: Duration,
	/// How long an "outdated" submission may wait for a finalized block to show it.
	pub stale_grace: Duration,
	/// How often the announced finalized head is checked for new blocks to scan.
	pub poll: Duration,
	/// The whole run's deadline.
	pub timeout: Duration,
	/// Whether to print progress lines to stderr.
	pub verbose: bool,
}

impl Default for Options {
	fn default() -> Self {
		Options {
			max_in_flight: 4096,
			// The runtime's `MaxPendingReadings`: what a device may queue ahead of the chain.
			lane_limit: 16,
			rpc_batch: 256,
			resubmit_after: Duration::from_secs(30),
			// Finality may lag a few blocks behind inclusion (more on a loaded network).
			stale_grace: Duration::from_secs(180),
			poll: Duration::from_millis(250),
			timeout: Duration::from_secs(600),
			verbose: false,
		}
	}
}

/// What became of one submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// In finalized block `block` at extrinsic `index`, and it succeeded.
	Finalized {
		/// Block number.
		block: u32,
		/// Block hash.
		block_hash: H256,
		/// Index of the extrinsic in the block.
		index: u32,
	},
	/// In finalized block `block`, but its dispatch failed (signed transactions only).
	Failed {
		/// Block number.
		block: u32,
		/// The dispatch error.
		error: String,
	},
	/// The pool refused it for good.
	Rejected(String),
	/// Not resolved before the deadline.
	Unresolved,
}

/// Counts of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
	/// Distinct transactions submitted.
	pub submitted: usize,
	/// In a finalized block and successful.
	pub finalized: usize,
	/// Times a transaction had to be sent again and the node took it (the pool had dropped
	/// it, or had refused it for the moment: full, rate limit).
	pub resubmitted: usize,
	/// Of those, times the pool had accepted the transaction before: it dropped it silently.
	pub dropped_by_pool: usize,
	/// Times a transaction was signed again (fresh bytes for banned ones, a new era for
	/// expired ones, the new versions after a runtime upgrade).
	pub resigned: usize,
	/// Refused for good by the pool.
	pub rejected: usize,
	/// In a finalized block with a failed dispatch.
	pub failed: usize,
	/// Neither finalized nor rejected at the deadline.
	pub unresolved: usize,
	/// From the first send to the last finalization seen.
	pub elapsed: Duration,
	/// Finalized transactions per finalized block number.
	pub per_block: BTreeMap<u32, usize>,
	/// Why some were rejected or failed (the first 20).
	pub problems: Vec<String>,
	/// Finality lag (best block number - finalized block number), sampled at every poll.
	pub finality_lag: Vec<u32>,
	/// Per finalized submission: from its first send to the poll that saw it finalized.
	pub latencies: Vec<Duration>,
}

impl Report {
	/// Finalized transactions per second of wall-clock time.
	pub fn per_second(&self) -> f64 {
		let secs = self.elapsed.as_secs_f64();
		if secs > 0.0 {
			self.finalized as f64 / secs
		} else {
			0.0
		}
	}

	/// The 95th percentile and the maximum of the sampled finality lag.
	pub fn finality_lag_p95_max(&self) -> Option<(u32, u32)> {
		let mut lags = self.finality_lag.clone();
		lags.sort_unstable();
		let max = *lags.last()?;
		// Nearest rank: the smallest sample with at least 95% of the samples at or below it.
		let rank = (lags.len() * 95).div_ceil(100).max(1);
		Some((*lags.get(rank - 1)?, max))
	}

	/// The `percent`th percentile (nearest rank) of the latencies, if any.
	pub fn latency_percentile(&self, percent: usize) -> Option<Duration> {
		let mut latencies = self.latencies.clone();
		latencies.sort_unstable();
		let rank = (latencies.len() * percent).div_ceil(100).max(1);
		latencies.get(rank - 1).copied()
	}

	/// The report as one JSON object.
	pub fn to_json(&self) -> serde_json::Value {
		let busiest = self.per_block.values().max().copied().unwrap_or(0);
		let lag = self.finality_lag_p95_max();
		json!({
			"submitted": self.submitted,
			"finalized": self.finalized,
			"resubmitted": self.resubmitted,
			"droppedByPool": self.dropped_by_pool,
			"resigned": self.resigned,
			"rejected": self.rejected,
			"failed": self.failed,
			"unresolved": self.unresolved,
			"elapsedSeconds": (self.elapsed.as_secs_f64() * 10.0).round() / 10.0,
			"perSecond": (self.per_second() * 10.0).round() / 10.0,
			"blocks": self.per_block.len(),
			"firstBlock": self.per_block.keys().next(),
			"lastBlock": self.per_block.keys().next_back(),
			"busiestBlock": busiest,
			"problems": self.problems,
			"finalityLagP95": lag.map(|(p95, _)| p95),
			"finalityLagMax": lag.map(|(_, max)| max),
			"latencyP50Seconds": self.latency_percentile(50).map(|d| round1(d.as_secs_f64())),
			"latencyP95Seconds": self.latency_percentile(95).map(|d| round1(d.as_secs_f64())),
		})
	}
}

fn round1(x: f64) -> f64 {
	(x * 10.0).round() / 10.0
}

enum Status {
	Queued,
	/// Sent, or waiting to be sent again.
	Pending {
		last_sent: Instant,
		stale_since: Option<Instant>,
	},
	Done(Outcome),
}

struct Item {
	submission: Submission,
	status: Status,
	attempts: u32,
	/// Whether the pool has accepted it at least once.
	accepted: bool,
	/// Times it was signed again after a "bad signature".
	resigns_for_bad_signature: u32,
	/// When it was first sent.
	first_sent: Option<Instant>,
}

/// What the pool's answer means for a submission.
enum Answer {
	Accepted,
	AlreadyInPool,
	Banned,
	/// A signed transaction whose signature the pool calls bad: signed for other versions.
	StaleSignature,
	Outdated,
	NotNow,
	Invalid(String),
	Unreachable,
}

/// The pool answers (JSON-RPC `data`) that mean "not now" rather than "never": the attestation
/// pallet's unknown validities `Custom(<BadSequence>)` (too far ahead of the chain) and
/// `Custom(<RateLimited>)` (the rate window is taken), code 1011. Other unknown validities
/// (`CannotLookup`, `NoUnsignedValidator`) are final.
/// The error indices come from the chain's metadata.
fn temporary_custom_codes(at: &crate::chain::AtBlock) -> Vec<String> {
	["BadSequence", "RateLimited"]
		.iter()
		.filter_map(|name| at.error_index("SensorAttestation", name))
		.map(|code| format!("Custom({code})"))
		.collect()
}

/// Whether an encoded extrinsic is signed: the version byte after its length prefix has the
/// "signed" bit (0x80) set.
fn is_signed(extrinsic: &[u8]) -> bool {
	use codec::Decode;
	let mut input = extrinsic;
	codec::Compact::<u32>::decode(&mut input).is_ok()
		&& input.first().is_some_and(|version| version & 0x80 != 0)
}

fn classify(answer: &Result<serde_json::Value, RpcError>, temporary: &[String]) -> Answer {
	match answer {
		Ok(_) => Answer::Accepted,
		Err(RpcError::Transport(_)) => Answer::Unreachable,
		Err(RpcError::Rpc { code, message, data }) => match code {
			1013 => Answer::AlreadyInPool,
			1012 => Answer::Banned,
			// Unknown validity: the attestation pallet's "not yet" (too far ahead of the
			// chain, rate window taken); the pool did not ban the bytes.
			1011 if temporary.iter().any(|t| data == t) => Answer::NotNow,
			// Too low priority, immediately dropped (pool full), future not accepted.
			1014 | 1016 | 1020 => Answer::NotNow,
			1010 if data.contains("outdated") => Answer::Outdated,
			// A mortal transaction past its era: sign it again with a fresh checkpoint.
			1010 if data.contains("ancient birth block") => Answer::Banned,
			1010 if data.contains("future") || data.contains("exhaust") => Answer::NotNow,
			_ => Answer::Invalid(format!("{code} {message}: {data}")),
		},
	}
}

/// The tracker's state over one run.
struct Run<'a> {
	client: &'a Client,
	options: &'a Options,
	items: Vec<Item>,
	by_hash: HashMap<H256, usize>,
	lanes: Vec<(u64, VecDeque<usize>, usize)>,
	lane_of: HashMap<u64, usize>,
	in_flight: usize,
	report: Report,
	started: Option<Instant>,
	temporary: Vec<String>,
	last_lag_sample: Option<Instant>,
}

/// How often the finality lag is sampled.
const LAG_SAMPLE: Duration = Duration::from_secs(1);

/// Submits `submissions` and follows them until each is finalized, rejected or the deadline
/// passes. Returns the counts and each submission's outcome (in input order).
pub fn run(
	client: &Client,
	submissions: Vec<Submission>,
	options: &Options,
) -> Result<(Report, Vec<Outcome>), RpcError> {
	let mut scanned = client.heads()?.finalized();
	let mut run = Run {
		client,
		options,
		items: Vec::with_capacity(submissions.len()),
		by_hash: HashMap::new(),
		lanes: Vec::new(),
		lane_of: HashMap::new(),
		in_flight: 0,
		report: Report { submitted: submissions.len(), ..Default::default() },
		started: None,
		last_lag_sample: None,
		temporary: client
			.chain()
			.and_then(|chain| chain.current())
			.map(|at| temporary_custom_codes(&at))
			.map_err(RpcError::Transport)?,
	};
	for (index, submission) in submissions.into_iter().enumerate() {
		run.by_hash.insert(H256(blake2_256(&submission.extrinsic)), index);
		let lane = match run.lane_of.get(&submission.lane) {
			Some(lane) => *lane,
			None => {
				run.lanes.push((submission.lane, VecDeque::new(), 0));
				run.lane_of.insert(submission.lane, run.lanes.len() - 1);
				run.lanes.len() - 1
			}
		};
		if let Some((_, queue, _)) = run.lanes.get_mut(lane) {
			queue.push_back(index);
		}
		run.items.push(Item {
			submission,
			status: Status::Queued,
			attempts: 0,
			accepted: false,
			resigns_for_bad_signature: 0,
			first_sent: None,
		});
	}

	let deadline = Instant::now() + options.timeout;
	let mut last_poll = Instant::now();
	let mut last_progress = Instant::now();
	while run.unresolved() > 0 && Instant::now() < deadline {
		let mut sent = run.send_new()?;
		if last_poll.elapsed() >= options.poll {
			last_poll = Instant::now();
			scanned = run.scan_finalized(scanned)?;
		}
		sent += run.resend_overdue()?;
		if options.verbose && last_progress.elapsed() >= Duration::from_secs(5) {
			last_progress = Instant::now();
			eprintln!(
				"city-sim: finalized {}/{} (in flight {}, resubmitted {}, dropped by pool {}, rejected {}) at block {scanned}",
				run.report.finalized,
				run.report.submitted,
				run.in_flight,
				run.report.resubmitted,
				run.report.dropped_by_pool,
				run.report.rejected
			);
		}
		if sent == 0 {
			std::thread::sleep(Duration::from_millis(200));
		}
	}
	let mut outcomes = Vec::with_capacity(run.items.len());
	for item in run.items {
		outcomes.push(match item.status {
			Status::Done(outcome) => outcome,
			_ => {
				run.report.unresolved += 1;
				Outcome::Unresolved
			}
		});
	}
	Ok((run.report, outcomes))
}

impl Run<'_> {
	fn unresolved(&self) -> usize {
		self.report.submitted - self.report.finalized - self.report.rejected - self.report.failed
	}

	/// Sends queued submissions, round-robin over lanes, within the in-flight limits.
	fn send_new(&mut self) -> Result<usize, RpcError> {
		let mut batch = Vec::new();
		let mut progress = true;
		while progress
			&& batch.len() < self.options.rpc_batch
			&& self.in_flight < self.options.max_in_flight
		{
			progress = false;
			for (_, queue, lane_in_flight) in self.lanes.iter_mut() {
				if batch.len() >= self.options.rpc_batch
					|| self.in_flight >= self.options.max_in_flight
				{
					break;
				}
				if *lane_in_flight >= self.options.lane_limit {
					continue;
				}
				if let Some(index) = queue.pop_front() {
					*lane_in_flight += 1;
					self.in_flight += 1;
					batch.push(index);
					progress = true;
				}
			}
		}
		self.send(&batch)?;
		Ok(batch.len())
	}

	/// Sends again what was sent long enough ago and is not finalized.
	fn resend_overdue(&mut self) -> Result<usize, RpcError> {
		let now = Instant::now();
		let overdue: Vec<usize> = self
			.items
			.iter()
			.enumerate()
			.filter(|(_, item)| match item.status {
				Status::Pending { last_sent, .. } => {
					now.duration_since(last_sent) >= self.options.resubmit_after
				}
				_ => false,
			})
			.map(|(index, _)| index)
			.take(self.options.rpc_batch)
			.collect();
		self.send(&overdue)?;
		Ok(overdue.len())
	}

	fn send(&mut self, indices: &[usize]) -> Result<(), RpcError> {
		if indices.is_empty() {
			return Ok(());
		}
		self.started.get_or_insert_with(Instant::now);
		let calls: Vec<(&str, serde_json::Value)> = indices
			.iter()
			.filter_map(|index| self.items.get(*index))
			.map(|item| ("author_submitExtrinsic", json!([hex_encode(&item.submission.extrinsic)])))
			.collect();
		let answers = match self.client.batch(&calls) {
			Ok(answers) => answers,
			// The node is unreachable right now: everything in this batch waits for a retry.
			Err(e @ RpcError::Transport(_)) => {
				vec![Err(e); indices.len()]
			}
			Err(e) => return Err(e),
		};
		let now = Instant::now();
		// The chain's current block is asked again at most once per batch.
		let mut refreshed = false;
		for (index, answer) in indices.iter().zip(answers) {
			let mut answer = classify(&answer, &self.temporary);
			let Some(item) = self.items.get_mut(*index) else { continue };
			// A "bad signature" on a signed transaction from an honest signer: a mortal era
			// that wrapped (its birth block is no longer the one signed), or runtime versions
			// that changed since it was signed (an upgrade). Sign it again for the chain as it
			// is now, a few times, each after the usual wait (the node's announcement of the
			// new versions may trail the pool by a moment).
			if matches!(&answer, Answer::Invalid(why) if why.contains("bad signature"))
				&& is_signed(&item.submission.extrinsic)
				&& item.submission.resign.is_some()
				&& item.resigns_for_bad_signature < MAX_RESIGNS
			{
				item.resigns_for_bad_signature += 1;
				if !refreshed {
					refreshed = true;
					if let Ok(chain) = self.client.chain() {
						chain.refresh();
					}
				}
				answer = Answer::StaleSignature;
			}
			let first = item.attempts == 0;
			item.attempts = item.attempts.saturating_add(1);
			item.first_sent.get_or_insert(now);
			let stale_since = match item.status {
				Status::Pending { stale_since, .. } => stale_since,
				_ => None,
			};
			let pending = |stale_since| Status::Pending { last_sent: now, stale_since };
			item.status = match answer {
				Answer::Accepted => {
					if !first {
						self.report.resubmitted += 1;
					}
					if item.accepted {
						self.report.dropped_by_pool += 1;
					}
					item.accepted = true;
					pending(None)
				}
				Answer::AlreadyInPool => {
					item.accepted = true;
					pending(stale_since)
				}
				Answer::NotNow | Answer::Unreachable => pending(stale_since),
				Answer::Banned | Answer::StaleSignature => match item.submission.resign.as_mut() {
					Some(resign) => match resign(item.attempts) {
						Some(fresh) => {
							self.report.resigned += 1;
							self.by_hash.insert(H256(blake2_256(&fresh)), *index);
							item.submission.extrinsic = fresh;
							// A banned transaction's variant goes at the next pass; a re-signed
							// stale one after the usual wait.
							let last_sent = match answer {
								Answer::Banned => {
									now.checked_sub(self.options.resubmit_after).unwrap_or(now)
								}
								_ => now,
							};
							Status::Pending { last_sent, stale_since }
						}
						// The chain cannot be asked now: try again later.
						None => pending(stale_since),
					},
					None if first => Status::Done(Outcome::Rejected(
						"temporarily banned: the pool saw these bytes recently (a replay?)".into(),
					)),
					None => pending(stale_since),
				},
				Answer::Outdated if first => Status::Done(Outcome::Rejected(
					"outdated: its sequence number or nonce is already used (a replay?)".into(),
				)),
				Answer::Outdated => match stale_since {
					Some(since) if now.duration_since(since) > self.options.stale_grace => {
						Status::Done(Outcome::Rejected(
							"outdated, and no finalized block shows it".into(),
						))
					}
					Some(since) => pending(Some(since)),
					None => pending(Some(now)),
				},
				Answer::Invalid(why) => Status::Done(Outcome::Rejected(why)),
			};
			if let Status::Done(Outcome::Rejected(why)) = &item.status {
				self.report.rejected += 1;
				if self.report.problems.len() < 20 {
					self.report.problems.push(format!("{}: {why}", item.submission.label));
				}
				let lane = item.submission.lane;
				self.release(lane);
			}
		}
		Ok(())
	}

	fn release(&mut self, lane: u64) {
		self.in_flight = self.in_flight.saturating_sub(1);
		if let Some((_, _, lane_in_flight)) =
			self.lane_of.get(&lane).and_then(|l| self.lanes.get_mut(*l))
		{
			*lane_in_flight = lane_in_flight.saturating_sub(1);
		}
	}

	/// Scans finalized blocks after `scanned` up to the finalized head the node announced;
	/// returns the new last scanned number.
	fn scan_finalized(&mut self, scanned: u32) -> Result<u32, RpcError> {
		let heads = match self.client.heads() {
			Ok(heads) => heads,
			// The connection is gone and cannot be opened again yet: scan at the next poll.
			Err(RpcError::Transport(_)) => return Ok(scanned),
			Err(e) => return Err(e),
		};
		let finalized = heads.finalized();
		if self.last_lag_sample.is_none_or(|at| at.elapsed() >= LAG_SAMPLE) {
			self.last_lag_sample = Some(Instant::now());
			self.report.finality_lag.push(heads.best().saturating_sub(finalized));
		}
		for number in scanned.saturating_add(1)..=finalized {
			match self.scan_block(number) {
				Ok(true) => {}
				// Not there yet, or the node did not answer: this block again at the next poll.
				Ok(false) | Err(RpcError::Transport(_)) => return Ok(number.saturating_sub(1)),
				Err(e) => return Err(e),
			}
		}
		Ok(finalized)
	}

	/// Marks the submissions found in finalized block `number`; `false` if there is no such
	/// block.
	fn scan_block(&mut self, number: u32) -> Result<bool, RpcError> {
		let Some(hash) = self.client.block_hash(number)? else { return Ok(false) };
		let extrinsics = self.client.block_extrinsics(hash)?;
		let mut found = Vec::new();
		for (position, extrinsic) in extrinsics.iter().enumerate() {
			if let Some(index) = self.by_hash.get(&H256(blake2_256(extrinsic))) {
				found.push((*index, position as u32));
			}
		}
		if found.is_empty() {
			return Ok(true);
		}
		let failures = self.failed_extrinsics(hash)?;
		let now = Instant::now();
		for (index, position) in found {
			let Some(item) = self.items.get_mut(index) else { continue };
			if matches!(item.status, Status::Done(_)) {
				continue;
			}
			item.status = Status::Done(match failures.get(&position) {
				Some(error) => {
					self.report.failed += 1;
					if self.report.problems.len() < 20 {
						self.report.problems.push(format!(
							"{}: failed in block {number}: {error}",
							item.submission.label
						));
					}
					Outcome::Failed { block: number, error: error.clone() }
				}
				None => {
					self.report.finalized += 1;
					*self.report.per_block.entry(number).or_default() += 1;
					if let Some(first_sent) = item.first_sent {
						self.report.latencies.push(now.duration_since(first_sent));
					}
					Outcome::Finalized { block: number, block_hash: hash, index: position }
				}
			});
			let lane = item.submission.lane;
			self.release(lane);
			if let Some(started) = self.started {
				self.report.elapsed = now.duration_since(started);
			}
		}
		Ok(true)
	}

	/// Extrinsic positions whose dispatch failed in block `hash`, with the error: the block's
	/// events decoded through its own metadata.
	fn failed_extrinsics(&self, hash: H256) -> Result<HashMap<u32, String>, RpcError> {
		self.client
			.chain()
			.and_then(|chain| chain.failed_extrinsics(hash))
			.map_err(RpcError::Transport)
	}
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
	use super::*;

	fn rpc_error(code: i64, data: &str) -> Result<serde_json::Value, RpcError> {
		Err(RpcError::Rpc { code, message: "m".into(), data: data.into() })
	}

	#[test]
	fn pool_answers_are_classified() {
		// What `temporary_custom_codes` reads from the metadata of today's runtime.
		let temporary = vec!["Custom(4)".to_string(), "Custom(6)".to_string()];
		let kind = |answer| match classify(&answer, &temporary) {
			Answer::Accepted => "accepted",
			Answer::AlreadyInPool => "in pool",
			Answer::Banned => "banned",
			Answer::StaleSignature => "stale signature",
			Answer::Outdated => "outdated",
			Answer::NotNow => "not now",
			Answer::Invalid(_) => "invalid",
			Answer::Unreachable => "unreachable",
		};
		assert_eq!(kind(Ok(json!("0x00"))), "accepted");
		assert_eq!(kind(rpc_error(1013, "0x01")), "in pool");
		assert_eq!(kind(rpc_error(1012, "")), "banned");
		assert_eq!(kind(rpc_error(1010, "Transaction is outdated")), "outdated");
		assert_eq!(kind(rpc_error(1010, "Transaction will be valid in the future")), "not now");
		assert_eq!(kind(rpc_error(1010, "Custom error: 6")), "invalid");
		assert_eq!(kind(rpc_error(1011, "Custom(4)")), "not now");
		assert_eq!(kind(rpc_error(1011, "CannotLookup")), "invalid");
		assert_eq!(kind(rpc_error(1010, "Custom error: 3")), "invalid");
		assert_eq!(kind(rpc_error(1016, "")), "not now");
		assert_eq!(kind(rpc_error(1011, "Custom(6)")), "not now");
		assert_eq!(kind(rpc_error(1002, "bad")), "invalid");
		assert_eq!(kind(Err(RpcError::Transport("refused".into()))), "unreachable");
	}

	#[test]
	fn signed_extrinsics_are_told_from_bare_ones() {
		// Length prefix (compact), then the version byte: 0x84 signed v4, 0x04 bare v4.
		assert!(is_signed(&[0x08, 0x84, 0x00]));
		assert!(!is_signed(&[0x08, 0x04, 0x00]));
		assert!(!is_signed(&[0x08, 0x45, 0x00]));
		assert!(!is_signed(&[]));
		assert!(!is_signed(&[0x08]));
	}

	#[test]
	fn finality_lag_percentiles() {
		let mut report = Report::default();
		assert_eq!(report.finality_lag_p95_max(), None);
		report.finality_lag = vec![2; 19];
		report.finality_lag.push(7);
		// 20 samples: the 19th smallest is the 95th percentile, the outlier is the maximum.
		assert_eq!(report.finality_lag_p95_max(), Some((2, 7)));
		report.finality_lag = vec![3];
		assert_eq!(report.finality_lag_p95_max(), Some((3, 3)));
		assert_eq!(report.to_json()["finalityLagP95"], json!(3));
	}

	#[test]
	fn report_rates_and_json() {
		let mut report = Report { submitted: 10, finalized: 10, ..Default::default() };
		assert_eq!(report.per_second(), 0.0);
		report.elapsed = Duration::from_secs(4);
		report.per_block.insert(5, 6);
		report.per_block.insert(6, 4);
		assert_eq!(report.per_second(), 2.5);
		let json = report.to_json();
		assert_eq!(json["perSecond"], json!(2.5));
		assert_eq!(json["busiestBlock"], json!(6));
		assert_eq!(json["blocks"], json!(2));
		assert_eq!(json["latencyP95Seconds"], json!(null));
		report.latencies = (1..=20).map(Duration::from_secs).collect();
		assert_eq!(report.latency_percentile(50), Some(Duration::from_secs(10)));
		assert_eq!(report.latency_percentile(95), Some(Duration::from_secs(19)));
		assert_eq!(report.to_json()["latencyP95Seconds"], json!(19.0));
	}
}
