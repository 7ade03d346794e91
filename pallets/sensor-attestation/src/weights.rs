//! Weights of `pallet_sensor_attestation`.
//!
//! PROVISIONAL: not yet produced by the benchmarks in `benchmarking.rs`. They are the storage
//! accesses each call makes (counted from the code) plus a compute term for ECDSA recovery and
//! SCALE work. Regenerate with `scripts/benchmark.sh` when the benchmarking build is available.
//! (The load benchmark measured ~0.29 ms of block building per reading in wasm against the
//! 0.44 ms these weights charge: on the safe side.)

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_sensor_attestation`.
pub trait WeightInfo {
	fn submit_reading() -> Weight;
	fn anchor_batch() -> Weight;
}

/// Signature verification (ECDSA recovery is the costliest) and SCALE work, upper bound.
const VERIFY: u64 = 150_000_000;

/// Weights for `pallet_sensor_attestation` using the node's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Reads: the device (registry), counters, timestamp, genesis hash. Writes: counters,
	/// latest reading, event.
	fn submit_reading() -> Weight {
		Weight::from_parts(VERIFY, 4_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	/// Reads: the device, counters, timestamp, genesis hash. Writes: counters, the pruned
	/// anchor, the new anchor.
	fn anchor_batch() -> Weight {
		Weight::from_parts(VERIFY, 4_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
}

/// For tests: the same figures with ParityDB's database weights.
impl WeightInfo for () {
	fn submit_reading() -> Weight {
		Weight::from_parts(VERIFY, 4_000).saturating_add(ParityDbWeight::get().reads_writes(4, 3))
	}
	fn anchor_batch() -> Weight {
		Weight::from_parts(VERIFY, 4_000).saturating_add(ParityDbWeight::get().reads_writes(4, 3))
	}
}
