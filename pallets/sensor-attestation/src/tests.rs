//! Tests of sensor attestation: dispatch and pool validation (every error path, in both), the
//! free share of a block, budgets that the pool and the block agree on, retention, cleanup
//! after decommissioning, Merkle proofs. Every test ends with the pallet's `try_state` checks.

#![allow(clippy::unwrap_used)]
// `ValidateUnsigned` is deprecated upstream, but it is what bare (unsigned) extrinsics use.
#![allow(deprecated)]

use crate::{mock::*, *};
use city_primitives::{DeviceKey, DeviceStatus, OnDeviceRetired, Suspender};
use frame_support::{
	assert_noop, assert_ok, dispatch::GetDispatchInfo, pallet_prelude::*, traits::Hooks,
};
use sp_core::{crypto::Pair as _, ed25519, sr25519};
use sp_runtime::{
	traits::ValidateUnsigned,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	MultiSignature, Perbill,
};

type Attest = crate::Pallet<Test>;

fn pair(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[seed; 32])
}

fn key(p: &sr25519::Pair) -> DeviceKey {
	DeviceKey::Sr25519(p.public())
}

fn reading(device: DeviceId, seq: u64) -> Reading {
	Reading {
		device,
		seq,
		timestamp_ms: NOW - 1_000,
		kind: MeasurementKind::EnergyExport,
		value: 1_234 + seq as i64,
		unit: Unit::WattHour,
	}
}

fn genesis() -> <Test as frame_system::Config>::Hash {
	frame_system::Pallet::<Test>::block_hash(0)
}

fn sign_reading(p: &sr25519::Pair, epoch: KeyEpoch, r: &Reading) -> MultiSignature {
	p.sign(&reading_payload(&genesis(), epoch, r)).into()
}

fn reading_call(p: &sr25519::Pair, r: Reading) -> Call<Test> {
	let signature = sign_reading(p, 0, &r);
	Call::submit_reading { reading: r, key_epoch: 0, signature }
}

/// A bare reading in a block, as `apply_extrinsic` runs it: `pre_dispatch`, then dispatch.
fn submit(p: &sr25519::Pair, r: Reading) -> DispatchResult {
	let call = reading_call(p, r.clone());
	if let Err(e) = Attest::pre_dispatch(&call) {
		return Err(DispatchError::Other(match e {
			TransactionValidityError::Invalid(InvalidTransaction::Custom(_)) => "custom",
			TransactionValidityError::Invalid(InvalidTransaction::Stale) => "stale",
			TransactionValidityError::Invalid(InvalidTransaction::Future) => "future",
			TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources) => "full",
			_ => "other",
		}));
	}
	let Call::submit_reading { reading, key_epoch, signature } = call else { unreachable!() };
	Attest::submit_reading(RuntimeOrigin::none(), reading, key_epoch, signature)
}

/// Dispatch alone (what a block does after `pre_dispatch` passed): the pallet's own error.
fn dispatch(p: &sr25519::Pair, r: Reading) -> DispatchResult {
	let signature = sign_reading(p, 0, &r);
	Attest::submit_reading(RuntimeOrigin::none(), r, 0, signature)
}

fn paid(who: u64, p: &sr25519::Pair, r: Reading) -> DispatchResult {
	let signature = sign_reading(p, 0, &r);
	Attest::submit_reading(RuntimeOrigin::signed(who), r, 0, signature)
}

fn validate(p: &sr25519::Pair, r: Reading) -> TransactionValidity {
	Attest::validate_unsigned(TransactionSource::External, &reading_call(p, r))
}

fn pre_dispatch(p: &sr25519::Pair, r: Reading) -> Result<(), TransactionValidityError> {
	Attest::pre_dispatch(&reading_call(p, r))
}

fn custom(error: Error<Test>) -> TransactionValidityError {
	InvalidTransaction::Custom(error.encode()[0]).into()
}

/// "Not yet": an unknown validity, which the pool does not ban (it bans invalid bytes).
fn later(error: Error<Test>) -> TransactionValidityError {
	sp_runtime::transaction_validity::UnknownTransaction::Custom(error.encode()[0]).into()
}

fn tag(kind: &[u8], seq: u64) -> Vec<u8> {
	("CityAttestation", (kind, 7u64, seq)).encode()
}

#[test]
fn a_signed_reading_is_attested_and_becomes_the_latest() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_ok!(submit(&device, reading(7, 1)));
		assert_ok!(submit(&device, reading(7, 2)));
		let counters = Counters::<Test>::get(7).unwrap();
		assert_eq!((counters.last_seq, counters.readings, counters.kinds), (2, 2, 1));
		assert_eq!(counters.window_readings, 2);
		let latest = Latest::<Test>::get(7, MeasurementKind::EnergyExport).unwrap();
		assert_eq!((latest.seq, latest.value, latest.unit), (2, 1_236, Unit::WattHour));
		System::assert_last_event(
			Event::ReadingAttested { reading: reading(7, 2), key_epoch: 0, payer: None }.into(),
		);
	});
}

#[test]
fn the_pool_answers_with_priority_zero_tags_and_longevity() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let valid = validate(&device, reading(7, 1)).unwrap();
		assert_eq!(valid.priority, 0, "every paid transaction outranks a free reading");
		assert_eq!(valid.longevity, 64);
		assert_eq!(valid.provides, vec![tag(b"reading", 1)]);
		assert!(valid.requires.is_empty());
		assert!(valid.propagate);
	});
}

#[test]
fn replayed_or_reordered_readings_are_refused() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_ok!(submit(&device, reading(7, 1)));
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::BadSequence);
		assert_noop!(dispatch(&device, reading(7, 3)), Error::<Test>::BadSequence);
		// In the pool: a replay is stale; a reading ahead waits for its predecessor.
		assert_eq!(validate(&device, reading(7, 1)), Err(InvalidTransaction::Stale.into()));
		let ahead = validate(&device, reading(7, 3)).unwrap();
		assert_eq!(ahead.requires, vec![tag(b"reading", 2)]);
		assert_eq!(ahead.provides, vec![tag(b"reading", 3)]);
		assert_eq!(validate(&device, reading(7, 2)).unwrap().requires, Vec::<Vec<u8>>::new());
		// More than `MaxPendingReadings` (8) ahead: not yet (not banned: it may come back).
		assert_eq!(validate(&device, reading(7, 10)), Err(later(Error::<Test>::BadSequence)));
		// Within the pending bound, but the rate window (5, one used) takes four more only.
		assert_ok!(validate(&device, reading(7, 5)));
		assert_eq!(validate(&device, reading(7, 6)), Err(later(Error::<Test>::RateLimited)));
		// In a block only the next one.
		assert_eq!(pre_dispatch(&device, reading(7, 3)), Err(custom(Error::<Test>::BadSequence)));
		assert_eq!(pre_dispatch(&device, reading(7, 1)), Err(InvalidTransaction::Stale.into()));
	});
}

#[test]
fn forged_or_foreign_signatures_are_refused() {
	run(|| {
		let device = pair(1);
		let other = pair(2);
		add_device(7, 100, key(&device));
		add_device(8, 100, key(&other));
		// Signed by another device's key: refused in the pool, in `pre_dispatch`, and when a
		// gateway pays.
		assert_eq!(validate(&other, reading(7, 1)), Err(custom(Error::<Test>::BadSignature)));
		assert_eq!(pre_dispatch(&other, reading(7, 1)), Err(custom(Error::<Test>::BadSignature)));
		assert_noop!(paid(100, &other, reading(7, 1)), Error::<Test>::BadSignature);
		// Tampered after signing.
		let r = reading(7, 1);
		let signature = sign_reading(&device, 0, &r);
		let mut tampered = r.clone();
		tampered.value += 1;
		assert_noop!(
			Attest::submit_reading(RuntimeOrigin::signed(100), tampered.clone(), 0, signature),
			Error::<Test>::BadSignature
		);
		// Another scheme.
		let ed = ed25519::Pair::from_seed(&[1; 32]);
		let wrong_scheme: MultiSignature = ed.sign(&reading_payload(&genesis(), 0, &r)).into();
		assert_noop!(
			Attest::submit_reading(RuntimeOrigin::signed(100), r.clone(), 0, wrong_scheme.clone()),
			Error::<Test>::BadSignature
		);
		assert_eq!(
			Attest::validate_unsigned(
				TransactionSource::External,
				&Call::submit_reading { reading: r, key_epoch: 0, signature: wrong_scheme }
			),
			Err(custom(Error::<Test>::BadSignature))
		);
	});
}

#[test]
fn inactive_unknown_or_rotated_devices_are_refused() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_noop!(dispatch(&device, reading(9, 1)), Error::<Test>::UnknownDevice);
		assert_eq!(validate(&device, reading(9, 1)), Err(custom(Error::<Test>::UnknownDevice)));
		set_status(7, DeviceStatus::Suspended(Suspender::Owner));
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::DeviceNotActive);
		assert_eq!(validate(&device, reading(7, 1)), Err(custom(Error::<Test>::DeviceNotActive)));
		set_status(7, DeviceStatus::Revoked);
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::DeviceNotActive);
		set_status(7, DeviceStatus::Active);
		let new = pair(3);
		rotate(7, key(&new));
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::StaleKeyEpoch);
		assert_eq!(validate(&device, reading(7, 1)), Err(custom(Error::<Test>::StaleKeyEpoch)));
		let r = reading(7, 1);
		let signature = sign_reading(&new, 1, &r);
		let call = Call::submit_reading { reading: r.clone(), key_epoch: 1, signature };
		assert_ok!(Attest::pre_dispatch(&call));
		assert_ok!(Attest::submit_reading(
			RuntimeOrigin::none(),
			r,
			1,
			sign_reading(&new, 1, &reading(7, 1))
		));
		assert_eq!(Counters::<Test>::get(7).unwrap().last_seq, 1);
	});
}

#[test]
fn uncertified_devices_submit_only_through_a_paying_gateway() {
	run(|| {
		let device = pair(1);
		add_device_with(7, 100, key(&device), false);
		set_operator(7, Some(200));
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::NotCertified);
		assert_eq!(validate(&device, reading(7, 1)), Err(custom(Error::<Test>::NotCertified)));
		assert_eq!(pre_dispatch(&device, reading(7, 1)), Err(custom(Error::<Test>::NotCertified)));
		// Its owner or operator pays instead; anyone else may not.
		assert_noop!(paid(55, &device, reading(7, 1)), Error::<Test>::NotController);
		assert_ok!(paid(200, &device, reading(7, 1)));
		System::assert_last_event(
			Event::ReadingAttested { reading: reading(7, 1), key_epoch: 0, payer: Some(200) }
				.into(),
		);
		assert_ok!(paid(100, &device, reading(7, 2)));
		assert_eq!(Counters::<Test>::get(7).unwrap().last_seq, 2);
		// Certified, it may go fee-less.
		set_certified(7, true);
		assert_ok!(submit(&device, reading(7, 3)));
		assert_noop!(
			Attest::submit_reading(
				RuntimeOrigin::root(),
				reading(7, 4),
				0,
				sign_reading(&device, 0, &reading(7, 4))
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn stale_or_future_timestamps_get_the_documented_error() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let mut old = reading(7, 1);
		old.timestamp_ms = NOW - 3_600_001;
		assert_noop!(dispatch(&device, old.clone()), Error::<Test>::TimestampOutOfWindow);
		assert_eq!(validate(&device, old), Err(custom(Error::<Test>::TimestampOutOfWindow)));
		let mut future = reading(7, 1);
		future.timestamp_ms = NOW + 30_001;
		assert_noop!(dispatch(&device, future.clone()), Error::<Test>::TimestampOutOfWindow);
		assert_eq!(validate(&device, future), Err(custom(Error::<Test>::TimestampOutOfWindow)));
		// The window's edges are inside for a block.
		let mut edge = reading(7, 1);
		edge.timestamp_ms = NOW + 30_000;
		assert_ok!(validate(&device, edge.clone()));
		assert_ok!(submit(&device, edge));
		let mut edge = reading(7, 2);
		edge.timestamp_ms = NOW - 3_600_000;
		// The pool wants it young enough for as long as it may wait there (longevity + one
		// block): at the very edge, it would be too old by the time its block comes.
		assert_eq!(
			validate(&device, edge.clone()),
			Err(custom(Error::<Test>::TimestampOutOfWindow))
		);
		let margin = Attest::pool_age_margin_ms();
		assert_eq!(margin, 65 * 2, "65 blocks of 2 ms in the mock");
		let young_enough = Reading { timestamp_ms: NOW - 3_600_000 + margin, ..edge.clone() };
		assert_ok!(validate(&device, young_enough));
		assert_ok!(submit(&device, edge));
	});
}

#[test]
fn the_rate_limit_holds_per_window() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		for seq in 1..=5 {
			assert_ok!(submit(&device, reading(7, seq)));
		}
		assert_noop!(dispatch(&device, reading(7, 6)), Error::<Test>::RateLimited);
		assert_eq!(validate(&device, reading(7, 6)), Err(later(Error::<Test>::RateLimited)));
		System::set_block_number(11);
		assert_ok!(submit(&device, reading(7, 6)));
		// The gateway path counts against the same budget.
		for seq in 7..=10 {
			assert_ok!(paid(100, &device, reading(7, seq)));
		}
		assert_noop!(paid(100, &device, reading(7, 11)), Error::<Test>::RateLimited);
	});
}

/// What the pool accepted, the block takes: for every way a device's window can be used, every
/// number of readings queued ahead, and every block they may land in (the same window or the
/// next), the readings the pool accepts all pass `pre_dispatch` and dispatch, the way the node
/// runs them: validated against the next block with the parent's time, included later with a
/// later time. What the pool refuses for the window is "not yet", never banned.
#[test]
fn the_pool_and_the_block_agree_on_the_rate_limit() {
	for used in 0..=5u64 {
		for queued in 1..=9u64 {
			for delay in [1u64, 5, 10] {
				run(|| {
					let device = pair(1);
					add_device(7, 100, key(&device));
					for seq in 1..=used {
						assert_ok!(submit(&device, reading(7, seq)));
					}
					// The pool validates against block 2 with block 1's time.
					System::set_block_number(2);
					let accepted: Vec<u64> = (used + 1..=used + queued)
						.take_while(|seq| validate(&device, reading(7, *seq)).is_ok())
						.collect();
					if accepted.len() < queued as usize {
						let refused =
							validate(&device, reading(7, used + accepted.len() as u64 + 1));
						assert!(
							refused == Err(later(Error::<Test>::RateLimited))
								|| refused == Err(later(Error::<Test>::BadSequence)),
							"{refused:?}"
						);
					}
					assert!(accepted.len() as u64 <= (5 - used).min(8), "the pool over-accepted");
					// Included `delay` blocks later, 6 s per block later.
					System::set_block_number(1 + delay);
					pallet_timestamp::Now::<Test>::put(NOW + 6_000 * delay);
					for seq in accepted {
						assert_ok!(submit(&device, reading(7, seq)));
					}
				});
			}
		}
	}
}

#[test]
fn kinds_per_device_are_bounded_readings_beyond_are_attested_not_kept() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let of_kind = |seq: u64, kind: MeasurementKind| Reading { kind, ..reading(7, seq) };
		// A fresh device may queue readings of one kind as far ahead as its rate allows (kinds
		// do not limit what the pool takes).
		for seq in 1..=5 {
			assert_ok!(validate(&device, of_kind(seq, MeasurementKind::Power)));
		}
		assert_ok!(submit(&device, of_kind(1, MeasurementKind::EnergyImport)));
		assert_ok!(submit(&device, of_kind(2, MeasurementKind::EnergyExport)));
		assert_ok!(submit(&device, of_kind(3, MeasurementKind::Power)));
		assert_eq!(Counters::<Test>::get(7).unwrap().kinds, 3);
		// A fourth kind (the mock keeps three): attested, in the event, not kept as latest.
		assert_ok!(validate(&device, of_kind(4, MeasurementKind::Generic(9))));
		assert_ok!(submit(&device, of_kind(4, MeasurementKind::Generic(9))));
		System::assert_last_event(
			Event::ReadingAttested {
				reading: of_kind(4, MeasurementKind::Generic(9)),
				key_epoch: 0,
				payer: None,
			}
			.into(),
		);
		assert!(Latest::<Test>::get(7, MeasurementKind::Generic(9)).is_none());
		let counters = Counters::<Test>::get(7).unwrap();
		assert_eq!((counters.kinds, counters.last_seq, counters.readings), (3, 4, 4));
		// A kind it keeps is still updated.
		assert_ok!(submit(&device, Reading { value: 77, ..of_kind(5, MeasurementKind::Power) }));
		assert_eq!(Latest::<Test>::get(7, MeasurementKind::Power).unwrap().value, 77);
		assert_eq!(Attest::latest_of(7).unwrap().len(), 3);
	});
}

#[test]
fn a_proof_only_proves_its_own_leaf_index() {
	// Five leaves: the last one is promoted twice, so its proof has one sibling, which the
	// Merkle crate alone would also accept for leaf 3.
	let readings: Vec<Reading> = (1..=5).map(|seq| reading(7, seq)).collect();
	let leaves: Vec<Vec<u8>> = readings.iter().map(|r| r.encode()).collect();
	let root =
		binary_merkle_tree::merkle_root::<sp_runtime::traits::BlakeTwo256, _>(leaves.clone());
	let proof =
		binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(leaves, 4);
	assert_eq!(proof.proof.len(), 1);
	assert!(verify_inclusion(&root, 5, 4, &readings[4], &proof.proof));
	assert!(!verify_inclusion(&root, 5, 3, &readings[4], &proof.proof));
	assert!(!verify_inclusion(&root, 5, 5, &readings[4], &proof.proof));
	// Path lengths: one sibling per level except where the node is promoted; the same as the
	// Merkle crate's proofs, for every leaf of every tree up to 40 leaves.
	assert_eq!((0..5).map(|i| proof_len(5, i)).collect::<Vec<_>>(), vec![3, 3, 3, 3, 1]);
	for count in 1..=40u32 {
		let leaves: Vec<Vec<u8>> = (0..count).map(|i| i.encode()).collect();
		for index in 0..count {
			let proof = binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(
				leaves.clone(),
				index,
			);
			assert_eq!(proof_len(count, index), proof.proof.len(), "{index} of {count}");
		}
	}
	assert_eq!(proof_len(1_000_000, 0), 20);
	assert_eq!(proof_len(1_000_000, 999_999), 12);
}

#[test]
fn the_latest_reading_never_moves_back_in_time() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let mut newer = reading(7, 1);
		newer.timestamp_ms = NOW - 10;
		newer.value = 1;
		let mut older = reading(7, 2);
		older.timestamp_ms = NOW - 20_000;
		older.value = 2;
		assert_ok!(submit(&device, newer));
		assert_ok!(submit(&device, older.clone()));
		let latest = Latest::<Test>::get(7, MeasurementKind::EnergyExport).unwrap();
		assert_eq!((latest.seq, latest.value), (1, 1), "the older reading did not replace it");
		// It is still attested (the event carries it for indexers).
		System::assert_last_event(
			Event::ReadingAttested { reading: older, key_epoch: 0, payer: None }.into(),
		);
		assert_eq!(Counters::<Test>::get(7).unwrap().last_seq, 2);
	});
}

#[test]
fn meters_keep_a_spaced_counter_history_that_settlement_interpolates() {
	use city_primitives::{EnergyFlow, MeterReadings};
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let base = NOW - 60_000;
		let counter = |seq, at, kind, value| Reading {
			device: 7,
			seq,
			timestamp_ms: at,
			kind,
			value,
			unit: Unit::WattHour,
		};
		let history = |flow| CounterHistory::<Test>::get(7, flow).into_inner();
		assert_ok!(submit(&device, counter(1, base, MeasurementKind::EnergyExport, 1_000)));
		assert_ok!(submit(
			&device,
			counter(2, base + 10_000, MeasurementKind::EnergyExport, 2_000)
		));
		assert_ok!(submit(
			&device,
			counter(3, base + 10_500, MeasurementKind::EnergyExport, 2_050)
		));
		// 800 ms after the entry before the newest: closer than the spacing, so it replaces
		// the newest instead of growing the history.
		assert_ok!(submit(
			&device,
			counter(4, base + 10_800, MeasurementKind::EnergyExport, 2_080)
		));
		assert_eq!(
			history(EnergyFlow::Export),
			vec![(base, 1_000), (base + 10_000, 2_000), (base + 10_800, 2_080)]
		);
		// Exact, interpolated (rounded down), and not surrounded.
		let at = |ms| Attest::counter_at(7, EnergyFlow::Export, ms);
		assert_eq!(at(base + 10_000), Some(2_000));
		assert_eq!(at(base + 5_000), Some(1_500));
		assert_eq!(at(base + 10_001), Some(2_000));
		assert_eq!(at(base + 10_400), Some(2_040));
		assert_eq!(at(base - 1), None);
		assert_eq!(at(base + 10_801), None);
		assert_eq!(Attest::counter_at(7, EnergyFlow::Import, base), None);
		assert_eq!(Attest::counter_at(8, EnergyFlow::Export, base), None);
		// A reading older than the newest kept, another kind, or a negative counter: attested,
		// not kept.
		assert_ok!(submit(&device, counter(5, base + 5_000, MeasurementKind::EnergyExport, 9)));
		assert_eq!(history(EnergyFlow::Export).len(), 3);
		System::set_block_number(11);
		let mut power = counter(6, base + 20_000, MeasurementKind::Power, 500);
		power.unit = Unit::Watt;
		assert_ok!(submit(&device, power));
		assert_ok!(submit(&device, counter(7, base + 20_000, MeasurementKind::EnergyImport, -5)));
		assert!(history(EnergyFlow::Import).is_empty());
		assert_ok!(submit(&device, counter(8, base + 21_000, MeasurementKind::EnergyImport, 40)));
		assert_eq!(history(EnergyFlow::Import), vec![(base + 21_000, 40)]);
		// A counter that went backwards counts as unchanged between its readings.
		assert_ok!(submit(&device, counter(9, base + 30_000, MeasurementKind::EnergyExport, 100)));
		assert_eq!(at(base + 20_000), Some(2_080));
		// At most `MaxCounterHistory` (4) entries: the oldest goes.
		System::set_block_number(21);
		assert_ok!(submit(
			&device,
			counter(10, base + 40_000, MeasurementKind::EnergyExport, 3_000)
		));
		assert_eq!(
			history(EnergyFlow::Export),
			vec![
				(base + 10_000, 2_000),
				(base + 10_800, 2_080),
				(base + 30_000, 100),
				(base + 40_000, 3_000)
			]
		);
	});
}

/// The weight and length `pre_dispatch` counts for one bare reading.
fn free_cost(call: &Call<Test>) -> (Weight, u32) {
	let weights: frame_system::limits::BlockWeights =
		<Test as frame_system::Config>::BlockWeights::get();
	let base = weights.get(frame_support::dispatch::DispatchClass::Normal).base_extrinsic;
	(
		call.get_dispatch_info().total_weight() + base,
		call.encoded_size() as u32 + BARE_EXTRINSIC_OVERHEAD,
	)
}

#[test]
fn free_readings_never_take_more_than_the_free_share_of_a_block() {
	run(|| {
		let device = pair(1);
		let other = pair(2);
		add_device(7, 100, key(&device));
		add_device(8, 100, key(&other));
		// A share that fits exactly two readings' weight.
		let weights: frame_system::limits::BlockWeights =
			<Test as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
		let max = normal.max_total.unwrap_or(weights.max_block).ref_time();
		let (cost, _) = free_cost(&reading_call(&device, reading(7, 1)));
		let share = Perbill::from_rational(2 * cost.ref_time() + cost.ref_time() / 2, max);
		assert_noop!(
			Attest::set_free_share(RuntimeOrigin::signed(100), share),
			DispatchError::BadOrigin
		);
		assert_ok!(Attest::set_free_share(RuntimeOrigin::root(), share));
		System::assert_last_event(Event::FreeShareSet { share }.into());
		assert_eq!(FreeShare::<Test>::get(), share);

		assert_ok!(submit(&device, reading(7, 1)));
		assert_ok!(submit(&other, Reading { device: 8, ..reading(8, 1) }));
		assert_eq!(Attest::free_usage().weight, cost.saturating_mul(2));
		// The third free reading of the block waits for the next block (it is not invalid).
		assert_eq!(
			pre_dispatch(&device, reading(7, 2)),
			Err(InvalidTransaction::ExhaustsResources.into())
		);
		assert_ok!(validate(&device, reading(7, 2)));
		// A paid reading is not limited by the free share.
		assert_ok!(paid(100, &device, reading(7, 2)));
		assert_eq!(Attest::free_usage().weight, cost.saturating_mul(2));
		System::set_block_number(2);
		assert_eq!(Attest::free_usage(), FreeUsage::default());
		assert_ok!(submit(&device, reading(7, 3)));
		// A share of nothing lets nothing through for free.
		assert_ok!(Attest::set_free_share(RuntimeOrigin::root(), Perbill::zero()));
		assert_eq!(
			pre_dispatch(&device, reading(7, 4)),
			Err(InvalidTransaction::ExhaustsResources.into())
		);
	});
}

#[test]
fn free_length_is_capped_too() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let length: frame_system::limits::BlockLength =
			<Test as frame_system::Config>::BlockLength::get();
		let max_len = *length.max.get(frame_support::dispatch::DispatchClass::Normal);
		let (_, len) = free_cost(&reading_call(&device, reading(7, 1)));
		assert_ok!(submit(&device, reading(7, 1)));
		assert_eq!(Attest::free_usage().len, len);
		// Free readings already used all but one byte short of a reading of the free length.
		let cap = Perbill::from_percent(50) * max_len;
		FreeUsed::<Test>::put(FreeUsage { block: 1, weight: Weight::zero(), len: cap - len + 1 });
		assert_eq!(
			pre_dispatch(&device, reading(7, 2)),
			Err(InvalidTransaction::ExhaustsResources.into())
		);
		FreeUsed::<Test>::put(FreeUsage { block: 1, weight: Weight::zero(), len: cap - len });
		assert_ok!(submit(&device, reading(7, 2)));
	});
}

fn batch(device: DeviceId, batch_seq: u64, readings: &[Reading]) -> BatchAnchor {
	let leaves: Vec<Vec<u8>> = readings.iter().map(|r| r.encode()).collect();
	BatchAnchor {
		device,
		batch_seq,
		period_start_ms: readings.first().unwrap().timestamp_ms,
		period_end_ms: readings.last().unwrap().timestamp_ms,
		count: readings.len() as u32,
		root: binary_merkle_tree::merkle_root::<sp_runtime::traits::BlakeTwo256, _>(leaves),
	}
}

fn anchor_call(p: &sr25519::Pair, a: BatchAnchor) -> Call<Test> {
	let signature: MultiSignature = p.sign(&batch_payload(&genesis(), 0, &a)).into();
	Call::anchor_batch { anchor: a, key_epoch: 0, signature }
}

/// A bare anchor in a block: `pre_dispatch`, then dispatch.
fn anchor(p: &sr25519::Pair, a: BatchAnchor) -> DispatchResult {
	let call = anchor_call(p, a);
	Attest::pre_dispatch(&call).map_err(|_| DispatchError::Other("refused by pre_dispatch"))?;
	let Call::anchor_batch { anchor, key_epoch, signature } = call else { unreachable!() };
	Attest::anchor_batch(RuntimeOrigin::none(), anchor, key_epoch, signature)
}

fn anchor_dispatch(p: &sr25519::Pair, a: BatchAnchor) -> DispatchResult {
	let signature: MultiSignature = p.sign(&batch_payload(&genesis(), 0, &a)).into();
	Attest::anchor_batch(RuntimeOrigin::signed(100), a, 0, signature)
}

fn validate_anchor(p: &sr25519::Pair, a: BatchAnchor) -> TransactionValidity {
	Attest::validate_unsigned(TransactionSource::External, &anchor_call(p, a))
}

#[test]
fn batches_are_anchored_and_readings_proven_against_them() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings: Vec<Reading> = (1..=1000).map(|seq| reading(7, seq)).collect();
		let a = batch(7, 1, &readings);
		let valid = validate_anchor(&device, a.clone()).unwrap();
		assert_eq!(valid.provides, vec![tag(b"batch", 1)]);
		assert_ok!(anchor(&device, a.clone()));
		System::assert_last_event(
			Event::BatchAnchored { anchor: a.clone(), key_epoch: 0, payer: None }.into(),
		);
		assert_eq!(Anchors::<Test>::get(7, 1).unwrap().anchor, a);
		let counters = Counters::<Test>::get(7).unwrap();
		assert_eq!((counters.last_batch_seq, counters.batches, counters.first_anchor), (1, 1, 1));
		// Batches have their own sequence: readings' sequence is untouched.
		assert_eq!(counters.last_seq, 0);
		let leaves: Vec<Vec<u8>> = readings.iter().map(|r| r.encode()).collect();
		for index in [0u32, 1, 499, 998, 999] {
			let proof = binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(
				leaves.clone(),
				index,
			);
			let leaf = &readings[index as usize];
			assert!(verify_inclusion(&a.root, a.count, index, leaf, &proof.proof));
			assert_eq!(Attest::verify_reading(7, 1, leaf, index, &proof.proof).unwrap().anchor, a);
			let mut tampered = leaf.clone();
			tampered.value -= 1;
			assert!(!verify_inclusion(&a.root, a.count, index, &tampered, &proof.proof));
			assert_eq!(
				Attest::verify_reading(7, 1, &tampered, index, &proof.proof),
				Err(runtime_api::VerifyError::ProofMismatch)
			);
			assert!(!verify_inclusion(&a.root, a.count, (index + 1) % 1000, leaf, &proof.proof));
		}
		let proof =
			binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(leaves, 0);
		use runtime_api::VerifyError;
		assert_eq!(
			Attest::verify_reading(7, 2, &readings[0], 0, &proof.proof),
			Err(VerifyError::UnknownAnchor)
		);
		assert_eq!(
			Attest::verify_reading(9, 1, &readings[0], 0, &proof.proof),
			Err(VerifyError::UnknownDevice)
		);
		assert_eq!(
			Attest::verify_reading(7, 1, &readings[0], 1000, &proof.proof),
			Err(VerifyError::LeafIndexOutOfRange)
		);
		add_device(8, 100, key(&pair(2)));
		assert_eq!(
			Attest::verify_reading(
				7,
				1,
				&Reading { device: 8, ..readings[0].clone() },
				0,
				&proof.proof
			),
			Err(VerifyError::DeviceMismatch)
		);
	});
}

#[test]
fn anchors_are_retained_explicitly_even_after_the_bound_is_lowered() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings = vec![reading(7, 1), reading(7, 2)];
		for seq in 1..=4 {
			System::set_block_number(seq * 20);
			assert_ok!(anchor(&device, batch(7, seq, &readings)));
		}
		assert!(Anchors::<Test>::get(7, 1).is_none());
		System::assert_has_event(Event::AnchorPruned { device: 7, batch_seq: 1 }.into());
		assert!(Anchors::<Test>::get(7, 2).is_some());
		assert_eq!(Attest::anchors_from(7, 0, 10).unwrap().len(), 3);
		// The city lowers retention to one anchor: the next anchor removes the three older
		// ones (up to 1 + MAX_PRUNE_PER_ANCHOR per anchor), none is left orphaned.
		MaxAnchors::set(1);
		System::set_block_number(100);
		assert_ok!(anchor(&device, batch(7, 5, &readings)));
		for old in 2..=4 {
			assert!(Anchors::<Test>::get(7, old).is_none(), "anchor {old} orphaned");
			System::assert_has_event(Event::AnchorPruned { device: 7, batch_seq: old }.into());
		}
		assert_eq!(Anchors::<Test>::iter_prefix(7).count(), 1);
		assert_eq!(Counters::<Test>::get(7).unwrap().first_anchor, 5);
		let page = Attest::anchors_from(7, 0, 10).unwrap();
		assert_eq!(page.iter().map(|a| a.anchor.batch_seq).collect::<Vec<_>>(), vec![5]);
	});
}

#[test]
fn bad_batches_are_refused_in_the_pool_as_in_the_block() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings = vec![reading(7, 1), reading(7, 2)];
		let good = batch(7, 1, &readings);
		let bad_batch = custom(Error::<Test>::BadBatch);
		let bad_time = custom(Error::<Test>::TimestampOutOfWindow);
		let cases: Vec<(BatchAnchor, TransactionValidityError, Error<Test>)> = vec![
			(BatchAnchor { count: 0, ..good.clone() }, bad_batch, Error::<Test>::BadBatch),
			(BatchAnchor { count: 2_000_000, ..good.clone() }, bad_batch, Error::<Test>::BadBatch),
			(
				BatchAnchor { period_start_ms: good.period_end_ms + 1, ..good.clone() },
				bad_batch,
				Error::<Test>::BadBatch,
			),
			(
				BatchAnchor { period_start_ms: 0, period_end_ms: 0, ..good.clone() },
				bad_time,
				Error::<Test>::TimestampOutOfWindow,
			),
			(
				BatchAnchor { period_end_ms: NOW + 365 * 24 * 3_600_000, ..good.clone() },
				bad_time,
				Error::<Test>::TimestampOutOfWindow,
			),
		];
		for (bad, pool_error, error) in cases {
			assert_eq!(validate_anchor(&device, bad.clone()), Err(pool_error), "{bad:?}");
			assert_eq!(Attest::pre_dispatch(&anchor_call(&device, bad.clone())), Err(pool_error));
			assert_noop!(anchor_dispatch(&device, bad), error);
		}
		assert_noop!(anchor_dispatch(&device, batch(7, 2, &readings)), Error::<Test>::BadSequence);
		assert_noop!(anchor_dispatch(&pair(9), good.clone()), Error::<Test>::BadSignature);
		assert_eq!(
			validate_anchor(&pair(9), good.clone()),
			Err(custom(Error::<Test>::BadSignature))
		);
		assert_ok!(anchor(&device, good.clone()));
		assert_noop!(anchor_dispatch(&device, good.clone()), Error::<Test>::BadSequence);
		assert_eq!(validate_anchor(&device, good), Err(InvalidTransaction::Stale.into()));
	});
}

#[test]
fn batches_have_their_own_rate_limit() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings = vec![reading(7, 1)];
		for seq in 1..=4 {
			assert_ok!(anchor(&device, batch(7, seq, &readings)));
		}
		assert_noop!(anchor_dispatch(&device, batch(7, 5, &readings)), Error::<Test>::RateLimited);
		assert_eq!(
			validate_anchor(&device, batch(7, 5, &readings)),
			Err(later(Error::<Test>::RateLimited))
		);
		// Readings still have their own budget.
		assert_ok!(submit(&device, reading(7, 1)));
		System::set_block_number(11);
		assert_ok!(anchor(&device, batch(7, 5, &readings)));
	});
}

#[test]
fn exhausted_sequence_numbers_are_an_error_not_a_wrap() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		Counters::<Test>::insert(
			7,
			DeviceCounters { last_seq: u64::MAX, readings: u64::MAX, ..Default::default() },
		);
		assert_noop!(dispatch(&device, reading(7, u64::MAX)), Error::<Test>::Overflow);
		assert_eq!(validate(&device, reading(7, 1)), Err(custom(Error::<Test>::Overflow)));
	});
}

/// The pallet's `on_idle` hook, as the executive calls it.
fn idle(n: u64, remaining: Weight) -> Weight {
	<Attest as Hooks<u64>>::on_idle(n, remaining)
}

#[test]
fn a_decommissioned_devices_state_is_removed_in_bounded_steps() {
	let mut ext = new_test_ext();
	let device = pair(1);
	ext.execute_with(|| {
		add_device(7, 100, key(&device));
		add_device(8, 100, key(&pair(2)));
		for (seq, kind) in
			[MeasurementKind::Power, MeasurementKind::EnergyImport, MeasurementKind::AirO3]
				.into_iter()
				.enumerate()
		{
			assert_ok!(submit(&device, Reading { kind, ..reading(7, seq as u64 + 1) }));
		}
		for seq in 1..=3 {
			assert_ok!(anchor(&device, batch(7, seq, &[reading(7, 1)])));
		}
		assert_ok!(submit(&pair(2), Reading { device: 8, ..reading(8, 1) }));
	});
	// In the database (not just this block's overlay), so the per-block limit applies.
	ext.commit_all().unwrap();
	ext.execute_with(|| {
		// A device that never attested leaves nothing to clean up.
		<Attest as OnDeviceRetired>::device_retired(99);
		assert!(!Retiring::<Test>::contains_key(99));

		set_status(7, DeviceStatus::Decommissioned);
		<Attest as OnDeviceRetired>::device_retired(7);
		assert!(Retiring::<Test>::contains_key(7));
		// Too little weight: nothing is done, and nothing is charged.
		assert_eq!(idle(5, Weight::from_parts(1, 0)), Weight::zero());
		assert!(Retiring::<Test>::contains_key(7));
	});
	ext.commit_all().unwrap();
	ext.execute_with(|| {
		// Plenty of weight, but at most `MaxPurgePerBlock` (4) items per block.
		let first = idle(5, Weight::MAX);
		assert!(first.any_gt(Weight::zero()));
		assert_eq!(Anchors::<Test>::iter_prefix(7).count(), 0);
		assert_eq!(Latest::<Test>::iter_prefix(7).count(), 2);
		assert_eq!(CounterHistory::<Test>::iter_prefix(7).count(), 1, "the import counter is kept");
		assert!(Counters::<Test>::contains_key(7));
	});
	ext.commit_all().unwrap();
	ext.execute_with(|| {
		idle(6, Weight::MAX);
		assert_eq!(Latest::<Test>::iter_prefix(7).count(), 0);
		assert_eq!(CounterHistory::<Test>::iter_prefix(7).count(), 0);
		assert!(!Counters::<Test>::contains_key(7));
		assert!(!Retiring::<Test>::contains_key(7));
		System::assert_last_event(Event::DeviceStatePurged { device: 7 }.into());
		// The other device is untouched; with nobody retiring, on_idle only reads.
		assert_eq!(Counters::<Test>::get(8).unwrap().last_seq, 1);
		assert_eq!(
			idle(7, Weight::MAX),
			<<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads(1)
		);
		Attest::do_try_state().unwrap();
	});
}

#[test]
fn queries_answer_none_for_unknown_devices() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_eq!(Attest::latest_of(9), None);
		assert_eq!(Attest::counters_of(9), None);
		assert_eq!(Attest::anchors_from(9, 0, 10), None);
		// A known device with nothing attested yet: empty answers, zero counters.
		assert_eq!(Attest::latest_of(7), Some(vec![]));
		assert_eq!(Attest::counters_of(7), Some(DeviceCounters::default()));
		assert_eq!(Attest::anchors_from(7, 0, 10), Some(vec![]));
	});
}

#[test]
fn the_deposit_bound_covers_the_most_a_device_can_store() {
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let kinds = [
			MeasurementKind::Generic(u16::MAX),
			MeasurementKind::Generic(1),
			MeasurementKind::Power,
			// One more than the device keeps: attested, not stored.
			MeasurementKind::AirO3,
		];
		for (seq, kind) in kinds.into_iter().enumerate() {
			let mut r = Reading { kind, unit: Unit::Other(u16::MAX), ..reading(7, seq as u64 + 1) };
			r.value = i64::MIN;
			assert_ok!(submit(&device, r));
		}
		for seq in 1..=4 {
			System::set_block_number(seq * 20);
			assert_ok!(anchor(&device, batch(7, seq, &[reading(7, 1)])));
		}
		// Every byte under this pallet's storage prefix (keys and values) for device 7, but
		// for the block's free usage (one value for the whole chain, not per device).
		let prefix = sp_io::hashing::twox_128(b"Attestation");
		let free_used = [prefix, sp_io::hashing::twox_128(b"FreeUsed")].concat();
		let mut bytes = 0u64;
		let mut key = prefix.to_vec();
		while let Some(next) = sp_io::storage::next_key(&key) {
			if !next.starts_with(&prefix) {
				break;
			}
			if next.starts_with(&free_used) {
				key = next;
				continue;
			}
			let value = sp_io::storage::get(&next).unwrap();
			bytes += (next.len() + value.len()) as u64;
			key = next;
		}
		assert!(bytes > 0);
		assert!(
			bytes <= Attest::max_state_bytes_per_device(),
			"{bytes} stored > {} covered",
			Attest::max_state_bytes_per_device()
		);
	});
}

#[test]
fn the_configuration_passes_the_integrity_test() {
	new_test_ext().execute_with(<Attest as Hooks<u64>>::integrity_test);
}

#[test]
fn version_0_counters_migrate_within_the_new_bounds() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		add_device(8, 100, key(&pair(2)));
		set_status(8, DeviceStatus::Decommissioned);
		StorageVersion::new(0).put::<Attest>();
		// Version 0 state: old counters, five kinds (unbounded then), anchors 4 to 6.
		let old = migrations::v1::OldCounters::<u64> {
			last_seq: 42,
			last_batch_seq: 6,
			readings: 42,
			batches: 6,
			window_start: 1,
			window_count: 3,
		};
		for device in [7u64, 8] {
			frame_support::storage::unhashed::put(&Counters::<Test>::hashed_key_for(device), &old);
		}
		let kinds = [
			MeasurementKind::Power,
			MeasurementKind::AirO3,
			MeasurementKind::AirNo2,
			MeasurementKind::Generic(1),
			MeasurementKind::Generic(2),
		];
		for kind in kinds {
			let latest =
				LatestReading { seq: 1, timestamp_ms: 1, value: 1, unit: Unit::Watt, block: 1 };
			Latest::<Test>::insert(7, kind, latest);
		}
		for seq in 4..=6 {
			let a = BatchAnchor { batch_seq: seq, ..batch(7, seq, &[reading(7, 1)]) };
			Anchors::<Test>::insert(
				7,
				seq,
				StoredAnchor { anchor: a, key_epoch: 0, anchored_at: 1 },
			);
		}

		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(Attest::on_chain_storage_version(), StorageVersion::new(1));
		let counters = Counters::<Test>::get(7).unwrap();
		assert_eq!((counters.last_seq, counters.last_batch_seq, counters.readings), (42, 6, 42));
		assert_eq!((counters.kinds, counters.first_anchor), (3, 4));
		assert_eq!((counters.window_readings, counters.window_batches), (0, 0));
		assert_eq!(Latest::<Test>::iter_prefix(7).count(), 3);
		// The device decommissioned under version 0 is queued for cleanup.
		assert!(Retiring::<Test>::contains_key(8));
		// The next reading continues the sequence: no replay from 1.
		assert_noop!(dispatch(&device, reading(7, 1)), Error::<Test>::BadSequence);
		assert_ok!(submit(&device, reading(7, 43)));
		// Run again: the version guard makes it a no-op.
		Counters::<Test>::mutate(7, |c| c.as_mut().unwrap().readings = 1_000);
		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Counters::<Test>::get(7).unwrap().readings, 1_000);
	});
}

/// The device SDK (`city-device`) signs what this pallet checks: a reading and a batch signed
/// with each of its three signers are attested in the pool and in a block, and the SDK's
/// proofs verify against the anchored root.
#[test]
fn readings_and_batches_signed_with_the_device_sdk_are_attested() {
	use city_device::{DeviceSigner, EcdsaSigner, Ed25519Signer, Sr25519Signer};
	use frame_support::traits::UnfilteredDispatchable;
	run(|| {
		let signers: Vec<Box<dyn DeviceSigner>> = vec![
			Box::new(Ed25519Signer::from_seed([1; 32])),
			Box::new(Sr25519Signer::from_seed([2; 32]).unwrap()),
			Box::new(EcdsaSigner::from_seed([3; 32]).unwrap()),
		];
		for (id, signer) in (20u64..).zip(signers) {
			let key = DeviceKey::decode(&mut &signer.public().encode()[..]).unwrap();
			add_device(id, 100, key);
			let signature = |payload: &[u8]| {
				MultiSignature::decode(&mut &signer.sign(payload).encode()[..]).unwrap()
			};
			let r = reading(id, 1);
			let call = Call::submit_reading {
				reading: r.clone(),
				key_epoch: 0,
				signature: signature(&reading_payload(&genesis(), 0, &r)),
			};
			assert_ok!(Attest::validate_unsigned(TransactionSource::External, &call));
			assert_ok!(Attest::pre_dispatch(&call));
			assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::none()));
			assert_eq!(Counters::<Test>::get(id).unwrap().last_seq, 1);

			let readings: Vec<Reading> = (1..=5).map(|seq| reading(id, seq)).collect();
			let a = BatchAnchor {
				device: id,
				batch_seq: 1,
				period_start_ms: readings[0].timestamp_ms,
				period_end_ms: readings[4].timestamp_ms,
				count: 5,
				root: city_device::merkle_root(&readings),
			};
			let call = Call::anchor_batch {
				anchor: a.clone(),
				key_epoch: 0,
				signature: signature(&batch_payload(&genesis(), 0, &a)),
			};
			assert_ok!(Attest::validate_unsigned(TransactionSource::External, &call));
			assert_ok!(Attest::pre_dispatch(&call));
			assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::none()));
			let stored = Anchors::<Test>::get(id, 1).unwrap();
			for (index, leaf) in (0u32..).zip(&readings) {
				let proof = city_device::merkle_proof(&readings, index).unwrap();
				assert!(verify_inclusion(&stored.anchor.root, 5, index, leaf, &proof));
			}
			// A signature by another device's key is refused.
			let r = reading(id, 2);
			let other = Ed25519Signer::from_seed([9; 32]);
			let forged = MultiSignature::decode(
				&mut &other.sign(&reading_payload(&genesis(), 0, &r)).encode()[..],
			)
			.unwrap();
			assert!(Attest::validate_unsigned(
				TransactionSource::External,
				&Call::submit_reading { reading: r, key_epoch: 0, signature: forged },
			)
			.is_err());
		}
	});
}
