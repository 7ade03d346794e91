//! Weights of `pallet_validator_set`.
//!
//! PROVISIONAL: counted storage accesses plus a compute term, not yet produced by the
//! benchmarks in `benchmarking.rs` (see `scripts/benchmark.sh`).

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_validator_set`.
pub trait WeightInfo {
	fn add_validator() -> Weight;
	fn remove_validator() -> Weight;
	fn note_stalled() -> Weight;
	fn set_min_validators() -> Weight;
}

/// Weights using the node's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

/// Compute of a call over a set of up to `MaxValidators` accounts.
const BASE: u64 = 30_000_000;

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn add_validator() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(T::DbWeight::get().reads_writes(1, 2))
	}
	fn note_stalled() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn set_min_validators() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
}

impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(BASE, 2_000).saturating_add(ParityDbWeight::get().reads_writes(1, 2))
	}
	fn note_stalled() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(ParityDbWeight::get().reads_writes(1, 1))
	}
	fn set_min_validators() -> Weight {
		Weight::from_parts(BASE, 1_000).saturating_add(ParityDbWeight::get().reads_writes(1, 1))
	}
}
