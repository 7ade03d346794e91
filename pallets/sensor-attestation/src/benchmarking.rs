//! Benchmarks of sensor attestation (v2 syntax). Worst cases: ECDSA device keys (the costliest
//! verification: blake2 of the payload, then public key recovery), the bare (fee-less) path as a
//! block runs it (`pre_dispatch` with the free share and the signature, then dispatch), a
//! device with earlier submissions in its rate window, a reading of a new kind, and an anchor
//! that prunes the most anchors one anchor may prune.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The bare path is measured as a block runs it, through `ValidateUnsigned::pre_dispatch`
// (deprecated upstream; see the pallet README for why the pallet keeps it).
#![allow(deprecated)]

use super::*;
use crate::Pallet as Attestation;
use city_primitives::DeviceKey;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get, UnfilteredDispatchable};
use frame_system::RawOrigin;
use sp_runtime::traits::ValidateUnsigned;
use sp_runtime::{traits::Zero, MultiSignature, Perbill};

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
			window_readings: 1,
			window_batches: 1,
			kinds: 0,
			first_anchor: 0,
		},
	);
	Ok((device, key))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A bare reading of a new kind, as a block runs it: `pre_dispatch` (free share, every
	/// check, the signature), then dispatch (the checks again, the writes). The paid path does
	/// less (no free share, one round of checks). The reading is an energy counter whose
	/// history is full, so that its oldest entry leaves (the most a reading writes).
	#[benchmark]
	fn submit_reading() -> Result<(), BenchmarkError> {
		let (device, key) = active_device::<T>()?;
		let kind = MeasurementKind::EnergyExport;
		let full: alloc::vec::Vec<(u64, u64)> =
			(0..u64::from(T::MaxCounterHistory::get())).map(|at| (at, 0)).collect();
		CounterHistory::<T>::insert(
			device,
			city_primitives::EnergyFlow::Export,
			frame_support::BoundedVec::truncate_from(full),
		);
		let reading = Reading {
			device,
			seq: 42,
			timestamp_ms: NOW,
			kind,
			value: i64::MAX,
			unit: Unit::WattHour,
		};
		let signature =
			sign(&key, &reading_payload(&Attestation::<T>::genesis_hash(), 0, &reading));
		let call = Call::<T>::submit_reading { reading, key_epoch: 0, signature };

		#[block]
		{
			Attestation::<T>::pre_dispatch(&call).map_err(|_| "pre_dispatch refused")?;
			call.dispatch_bypass_filter(RawOrigin::None.into())
				.map_err(|e| BenchmarkError::Stop(e.error.into()))?;
		}

		assert_eq!(Counters::<T>::get(device).map(|c| c.last_seq), Some(42));
		assert!(Latest::<T>::contains_key(device, kind));
		let history = CounterHistory::<T>::get(device, city_primitives::EnergyFlow::Export);
		assert_eq!(history.last(), Some(&(NOW, i64::MAX as u64)));
		assert_eq!(history.len() as u32, T::MaxCounterHistory::get());
		Ok(())
	}

	/// A bare anchor as a block runs it, pruning `1 + MAX_PRUNE_PER_ANCHOR` old anchors (a
	/// lowered retention bound being caught up with).
	#[benchmark]
	fn anchor_batch() -> Result<(), BenchmarkError> {
		let (device, key) = active_device::<T>()?;
		let keep = u64::from(T::MaxAnchorsPerDevice::get());
		let pruned = 1 + MAX_PRUNE_PER_ANCHOR;
		for seq in 1..=pruned {
			let old = BatchAnchor {
				device,
				batch_seq: seq,
				period_start_ms: NOW - 1_000,
				period_end_ms: NOW,
				count: 1,
				root: H256::zero(),
			};
			Anchors::<T>::insert(
				device,
				seq,
				StoredAnchor { anchor: old, key_epoch: 0, anchored_at: Zero::zero() },
			);
		}
		let batch_seq = keep + pruned;
		Counters::<T>::mutate(device, |counters| {
			if let Some(counters) = counters {
				counters.last_batch_seq = batch_seq - 1;
				counters.first_anchor = 1;
			}
		});
		let anchor = BatchAnchor {
			device,
			batch_seq,
			period_start_ms: NOW - 1_000,
			period_end_ms: NOW,
			count: T::MaxBatchSize::get(),
			root: H256::repeat_byte(1),
		};
		let signature = sign(&key, &batch_payload(&Attestation::<T>::genesis_hash(), 0, &anchor));
		let call = Call::<T>::anchor_batch { anchor, key_epoch: 0, signature };

		#[block]
		{
			Attestation::<T>::pre_dispatch(&call).map_err(|_| "pre_dispatch refused")?;
			call.dispatch_bypass_filter(RawOrigin::None.into())
				.map_err(|e| BenchmarkError::Stop(e.error.into()))?;
		}

		for seq in 1..=pruned {
			assert!(!Anchors::<T>::contains_key(device, seq));
		}
		assert!(Anchors::<T>::contains_key(device, batch_seq));
		Ok(())
	}

	#[benchmark]
	fn set_free_share() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let share = Perbill::from_percent(40);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, share);

		assert_eq!(FreeShare::<T>::get(), share);
		Ok(())
	}

	impl_benchmark_test_suite!(Attestation, crate::mock::new_test_ext(), crate::mock::Test);
}
