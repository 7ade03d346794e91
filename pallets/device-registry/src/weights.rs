//! Weights of `pallet_device_registry`.
//!
//! PROVISIONAL: these figures are not yet produced by the benchmarks in `benchmarking.rs`; they
//! are the storage accesses each call makes (counted from the code) plus a generous compute
//! term for signature verification. Regenerate with `scripts/benchmark.sh` when the
//! benchmarking build is available.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_device_registry`.
pub trait WeightInfo {
	fn register() -> Weight;
	fn update_metadata() -> Weight;
	fn rotate_key() -> Weight;
	fn transfer_ownership() -> Weight;
	fn set_operator() -> Weight;
	fn suspend() -> Weight;
	fn resume() -> Weight;
	fn revoke() -> Weight;
	fn decommission() -> Weight;
	fn certify() -> Weight;
	fn uncertify() -> Weight;
}

/// Weights for `pallet_device_registry` using the node's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

/// Signature verification (sr25519/ed25519/ecdsa recover) and SCALE work, upper bound.
const VERIFY: u64 = 120_000_000;
/// Compute of a call without signature checks.
const BASE: u64 = 25_000_000;

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register() -> Weight {
		Weight::from_parts(BASE + VERIFY, 4_000)
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(7))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(BASE, 4_000)
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	fn rotate_key() -> Weight {
		Weight::from_parts(BASE + VERIFY, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn transfer_ownership() -> Weight {
		Weight::from_parts(BASE, 6_000)
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(8))
	}
	fn set_operator() -> Weight {
		Weight::from_parts(BASE, 4_000)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn suspend() -> Weight {
		Weight::from_parts(BASE, 4_000)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn resume() -> Weight {
		Self::suspend()
	}
	fn revoke() -> Weight {
		Self::suspend()
	}
	fn decommission() -> Weight {
		Weight::from_parts(BASE, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(5))
	}
	fn certify() -> Weight {
		Self::suspend()
	}
	fn uncertify() -> Weight {
		Self::suspend()
	}
}

/// For tests: the same figures with ParityDB's weights.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::from_parts(BASE + VERIFY, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(5, 7))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(BASE, 4_000).saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn rotate_key() -> Weight {
		Weight::from_parts(BASE + VERIFY, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 3))
	}
	fn transfer_ownership() -> Weight {
		Weight::from_parts(BASE, 6_000).saturating_add(ParityDbWeight::get().reads_writes(5, 8))
	}
	fn set_operator() -> Weight {
		Weight::from_parts(BASE, 4_000).saturating_add(ParityDbWeight::get().reads_writes(1, 1))
	}
	fn suspend() -> Weight {
		Self::set_operator()
	}
	fn resume() -> Weight {
		Self::set_operator()
	}
	fn revoke() -> Weight {
		Self::set_operator()
	}
	fn decommission() -> Weight {
		Weight::from_parts(BASE, 4_000).saturating_add(ParityDbWeight::get().reads_writes(3, 5))
	}
	fn certify() -> Weight {
		Self::set_operator()
	}
	fn uncertify() -> Weight {
		Self::set_operator()
	}
}
