//! Tests of sensor attestation: dispatch and pool validation, every error path, Merkle proofs.

#![allow(clippy::unwrap_used)]
// `ValidateUnsigned` is deprecated upstream, but it is what bare (unsigned) extrinsics use.
#![allow(deprecated)]

use crate::{mock::*, *};
use city_primitives::{DeviceKey, DeviceStatus, Suspender};
use frame_support::{assert_noop, assert_ok, pallet_prelude::*};
use sp_core::{crypto::Pair as _, ed25519, sr25519};
use sp_runtime::{
	traits::ValidateUnsigned,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	MultiSignature,
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

fn sign_reading(p: &sr25519::Pair, epoch: KeyEpoch, r: &Reading) -> MultiSignature {
	p.sign(&reading_payload(&frame_system::Pallet::<Test>::block_hash(0), epoch, r)).into()
}

fn submit(p: &sr25519::Pair, r: Reading) -> DispatchResult {
	let signature = sign_reading(p, 0, &r);
	Attest::submit_reading(RuntimeOrigin::none(), r, 0, signature)
}

fn validate(p: &sr25519::Pair, r: Reading) -> TransactionValidity {
	let signature = sign_reading(p, 0, &r);
	Attest::validate_unsigned(
		TransactionSource::External,
		&Call::submit_reading { reading: r, key_epoch: 0, signature },
	)
}

fn custom(error: Error<Test>) -> TransactionValidityError {
	InvalidTransaction::Custom(error.encode()[0]).into()
}

#[test]
fn a_signed_reading_is_attested_and_becomes_the_latest() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_ok!(submit(&device, reading(7, 1)));
		assert_ok!(submit(&device, reading(7, 2)));
		let counters = Counters::<Test>::get(7);
		assert_eq!((counters.last_seq, counters.readings), (2, 2));
		let latest = Latest::<Test>::get(7, MeasurementKind::EnergyExport).unwrap();
		assert_eq!((latest.seq, latest.value, latest.unit), (2, 1_236, Unit::WattHour));
		System::assert_last_event(
			Event::ReadingAttested { reading: reading(7, 2), key_epoch: 0, payer: None }.into(),
		);
	});
}

#[test]
fn replayed_or_reordered_readings_are_refused() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_ok!(submit(&device, reading(7, 1)));
		assert_noop!(submit(&device, reading(7, 1)), Error::<Test>::BadSequence);
		assert_noop!(submit(&device, reading(7, 3)), Error::<Test>::BadSequence);
		// In the pool: a replay is stale; a reading ahead waits for its predecessor.
		assert_eq!(validate(&device, reading(7, 1)), Err(InvalidTransaction::Stale.into()));
		let ahead = validate(&device, reading(7, 3)).unwrap();
		let tag = |seq: u64| ("CityAttestation", (b"reading" as &[u8], 7u64, seq)).encode();
		assert_eq!(ahead.requires, vec![tag(2)]);
		assert_eq!(ahead.provides, vec![tag(3)]);
		assert_eq!(validate(&device, reading(7, 2)).unwrap().requires, Vec::<Vec<u8>>::new());
		assert_eq!(validate(&device, reading(7, 20)), Err(InvalidTransaction::Future.into()));
		assert_eq!(
			Attest::pre_dispatch(&Call::submit_reading {
				reading: reading(7, 3),
				key_epoch: 0,
				signature: sign_reading(&device, 0, &reading(7, 3)),
			}),
			Err(InvalidTransaction::Future.into())
		);
	});
}

#[test]
fn forged_or_foreign_signatures_are_refused() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		let other = pair(2);
		add_device(7, 100, key(&device));
		add_device(8, 100, key(&other));
		// Signed by another device's key.
		assert_noop!(submit(&other, reading(7, 1)), Error::<Test>::BadSignature);
		assert_eq!(validate(&other, reading(7, 1)), Err(custom(Error::<Test>::BadSignature)));
		// Tampered after signing.
		let r = reading(7, 1);
		let signature = sign_reading(&device, 0, &r);
		let mut tampered = r.clone();
		tampered.value += 1;
		assert_noop!(
			Attest::submit_reading(RuntimeOrigin::none(), tampered, 0, signature),
			Error::<Test>::BadSignature
		);
		// Another scheme.
		let ed = ed25519::Pair::from_seed(&[1; 32]);
		let wrong_scheme: MultiSignature =
			ed.sign(&reading_payload(&frame_system::Pallet::<Test>::block_hash(0), 0, &r)).into();
		assert_noop!(
			Attest::submit_reading(RuntimeOrigin::none(), r, 0, wrong_scheme),
			Error::<Test>::BadSignature
		);
	});
}

#[test]
fn inactive_unknown_or_rotated_devices_are_refused() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		assert_noop!(submit(&device, reading(9, 1)), Error::<Test>::UnknownDevice);
		set_status(7, DeviceStatus::Suspended(Suspender::Owner));
		assert_noop!(submit(&device, reading(7, 1)), Error::<Test>::DeviceNotActive);
		assert_eq!(validate(&device, reading(7, 1)), Err(custom(Error::<Test>::DeviceNotActive)));
		set_status(7, DeviceStatus::Revoked);
		assert_noop!(submit(&device, reading(7, 1)), Error::<Test>::DeviceNotActive);
		set_status(7, DeviceStatus::Active);
		let new = pair(3);
		rotate(7, key(&new));
		assert_noop!(submit(&device, reading(7, 1)), Error::<Test>::StaleKeyEpoch);
		let r = reading(7, 1);
		let signature = sign_reading(&new, 1, &r);
		assert_ok!(Attest::submit_reading(RuntimeOrigin::none(), r, 1, signature));
	});
}

#[test]
fn stale_or_future_timestamps_are_refused() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let mut old = reading(7, 1);
		old.timestamp_ms = NOW - 3_600_001;
		assert_noop!(submit(&device, old.clone()), Error::<Test>::TimestampOutOfWindow);
		assert_eq!(validate(&device, old), Err(InvalidTransaction::Stale.into()));
		let mut future = reading(7, 1);
		future.timestamp_ms = NOW + 30_001;
		assert_noop!(submit(&device, future), Error::<Test>::TimestampOutOfWindow);
	});
}

#[test]
fn the_rate_limit_holds_per_window() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		for seq in 1..=5 {
			assert_ok!(submit(&device, reading(7, seq)));
		}
		assert_noop!(submit(&device, reading(7, 6)), Error::<Test>::RateLimited);
		assert_eq!(validate(&device, reading(7, 6)), Err(custom(Error::<Test>::RateLimited)));
		System::set_block_number(11);
		assert_ok!(submit(&device, reading(7, 6)));
	});
}

#[test]
fn gateways_pay_only_for_their_own_devices() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let r = reading(7, 1);
		let signature = sign_reading(&device, 0, &r);
		assert_noop!(
			Attest::submit_reading(RuntimeOrigin::signed(55), r.clone(), 0, signature.clone()),
			Error::<Test>::NotController
		);
		assert_ok!(Attest::submit_reading(RuntimeOrigin::signed(100), r.clone(), 0, signature));
		System::assert_last_event(
			Event::ReadingAttested { reading: r, key_epoch: 0, payer: Some(100) }.into(),
		);
		assert_noop!(
			Attest::submit_reading(
				RuntimeOrigin::root(),
				reading(7, 2),
				0,
				sign_reading(&device, 0, &reading(7, 2))
			),
			DispatchError::BadOrigin
		);
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

fn anchor(p: &sr25519::Pair, a: BatchAnchor) -> DispatchResult {
	let signature: MultiSignature =
		p.sign(&batch_payload(&frame_system::Pallet::<Test>::block_hash(0), 0, &a)).into();
	Attest::anchor_batch(RuntimeOrigin::none(), a, 0, signature)
}

#[test]
fn batches_are_anchored_and_readings_proven_against_them() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings: Vec<Reading> = (1..=1000).map(|seq| reading(7, seq)).collect();
		let a = batch(7, 1, &readings);
		assert_ok!(anchor(&device, a.clone()));
		assert_eq!(Anchors::<Test>::get(7, 1).unwrap().anchor, a);
		for index in [0u32, 1, 499, 998, 999] {
			let leaves: Vec<Vec<u8>> = readings.iter().map(|r| r.encode()).collect();
			let proof = binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(
				leaves, index,
			);
			assert!(verify_inclusion(
				&a.root,
				a.count,
				index,
				&readings[index as usize],
				&proof.proof
			));
			let mut tampered = readings[index as usize].clone();
			tampered.value -= 1;
			assert!(!verify_inclusion(&a.root, a.count, index, &tampered, &proof.proof));
			assert!(!verify_inclusion(
				&a.root,
				a.count,
				(index + 1) % 1000,
				&readings[index as usize],
				&proof.proof
			));
		}
	});
}

#[test]
fn anchors_are_retained_explicitly() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings = vec![reading(7, 1), reading(7, 2)];
		for seq in 1..=4 {
			System::set_block_number(seq * 20);
			assert_ok!(anchor(&device, batch(7, seq, &readings)));
		}
		assert!(Anchors::<Test>::get(7, 1).is_none());
		assert!(System::events()
			.iter()
			.any(|e| e.event == Event::AnchorPruned { device: 7, batch_seq: 1 }.into()));
		assert!(Anchors::<Test>::get(7, 2).is_some());
		assert!(Anchors::<Test>::get(7, 4).is_some());
	});
}

#[test]
fn bad_batches_are_refused() {
	new_test_ext().execute_with(|| {
		let device = pair(1);
		add_device(7, 100, key(&device));
		let readings = vec![reading(7, 1), reading(7, 2)];
		let mut empty = batch(7, 1, &readings);
		empty.count = 0;
		assert_noop!(anchor(&device, empty), Error::<Test>::BadBatch);
		let mut inverted = batch(7, 1, &readings);
		inverted.period_start_ms = inverted.period_end_ms + 1;
		assert_noop!(anchor(&device, inverted), Error::<Test>::BadBatch);
		assert_noop!(anchor(&device, batch(7, 2, &readings)), Error::<Test>::BadSequence);
		assert_noop!(anchor(&pair(9), batch(7, 1, &readings)), Error::<Test>::BadSignature);
		assert_ok!(anchor(&device, batch(7, 1, &readings)));
		assert_noop!(anchor(&device, batch(7, 1, &readings)), Error::<Test>::BadSequence);
	});
}
