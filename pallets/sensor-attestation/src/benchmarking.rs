//! Benchmarks of sensor attestation (v2 syntax). Worst cases: ECDSA device keys (the costliest
//! verification: blake2 of the payload, then public key recovery), a device with earlier
//! submissions in its rate window, and an anchor that prunes the device's oldest anchor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as Attestation;
use city_primitives::DeviceKey;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use sp_runtime::{traits::Zero, MultiSignature};

/// Chain time in the benchmarks (Unix ms).
const NOW: u64 = 1_800_000_000_000;

fn new_key() -> DeviceKey {
	DeviceKey::Ecdsa(sp_io::crypto::ecdsa_generate(BENCHMARK_KEY_TYPE, None))
}

fn sign(key: &DeviceKey, payload: &[u8]) -> MultiSignature {
	match key {
		DeviceKey::Ecdsa(public) => MultiSignature::Ecdsa(
			sp_io::crypto::ecdsa_sign_prehashed(
				BENCHMARK_KEY_TYPE,
				public,
				&sp_io::hashing::blake2_256(payload),
			)
			.unwrap(),
		),
		_ => unreachable!("benchmarks use ecdsa keys"),
	}
}

/// An active device with 41 readings attested, one of them in the current rate window.
fn active_device<T: Config>() -> Result<(DeviceId, DeviceKey), BenchmarkError> {
	let owner: T::AccountId = whitelisted_caller();
	let key = new_key();
	let device = T::BenchmarkHelper::register_device(&owner, key.clone())?;
	pallet_timestamp::Now::<T>::put(NOW);
	Counters::<T>::insert(
		device,
		DeviceCounters {
			last_seq: 41,
			last_batch_seq: 0,
			readings: 41,
			batches: 0,
			window_start: frame_system::Pallet::<T>::block_number(),
			window_count: 1,
		},
	);
	Ok((device, key))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_reading() -> Result<(), BenchmarkError> {
		let (device, key) = active_device::<T>()?;
		let kind = MeasurementKind::Generic(u16::MAX);
		let reading = Reading {
			device,
			seq: 42,
			timestamp_ms: NOW,
			kind,
			value: i64::MIN,
			unit: Unit::Other(u16::MAX),
		};
		let signature =
			sign(&key, &reading_payload(&Attestation::<T>::genesis_hash(), 0, &reading));

		#[extrinsic_call]
		submit_reading(RawOrigin::None, reading, 0, signature);

		assert_eq!(Counters::<T>::get(device).last_seq, 42);
		assert!(Latest::<T>::contains_key(device, kind));
		Ok(())
	}

	#[benchmark]
	fn anchor_batch() -> Result<(), BenchmarkError> {
		let (device, key) = active_device::<T>()?;
		// The device is at its retention bound: this anchor prunes the oldest one.
		let keep = u64::from(T::MaxAnchorsPerDevice::get());
		let oldest = BatchAnchor {
			device,
			batch_seq: 1,
			period_start_ms: NOW - 1_000,
			period_end_ms: NOW,
			count: 1,
			root: H256::zero(),
		};
		Anchors::<T>::insert(
			device,
			1,
			StoredAnchor { anchor: oldest, key_epoch: 0, anchored_at: Zero::zero() },
		);
		Counters::<T>::mutate(device, |counters| counters.last_batch_seq = keep);
		let anchor = BatchAnchor {
			device,
			batch_seq: keep + 1,
			period_start_ms: NOW - 1_000,
			period_end_ms: NOW,
			count: T::MaxBatchSize::get(),
			root: H256::repeat_byte(1),
		};
		let signature = sign(&key, &batch_payload(&Attestation::<T>::genesis_hash(), 0, &anchor));

		#[extrinsic_call]
		anchor_batch(RawOrigin::None, anchor, 0, signature);

		assert!(!Anchors::<T>::contains_key(device, 1));
		assert!(Anchors::<T>::contains_key(device, keep + 1));
		Ok(())
	}

	impl_benchmark_test_suite!(Attestation, crate::mock::new_test_ext(), crate::mock::Test);
}
