//! Weights of data access.
//!
//! PROVISIONAL: estimates from the storage each call reads and writes (ParityDB weights), until
//! the pallet is in the runtime and `scripts/benchmark.sh` replaces this file with benchmarked
//! figures. Not used by any runtime yet.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::weights::{constants::ParityDbWeight, Weight};

/// Weight functions of data access.
pub trait WeightInfo {
	fn set_term() -> Weight;
	fn remove_term() -> Weight;
	fn approve_holder() -> Weight;
	fn set_holder_status() -> Weight;
	fn grant(devices: u32) -> Weight;
	fn revoke() -> Weight;
	fn release_expired() -> Weight;
	fn anchor_log() -> Weight;
}

/// The runtime's weights: the estimates below, until benchmarked.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T> WeightInfo for SubstrateWeight<T> {
	fn set_term() -> Weight {
		<() as WeightInfo>::set_term()
	}
	fn remove_term() -> Weight {
		<() as WeightInfo>::remove_term()
	}
	fn approve_holder() -> Weight {
		<() as WeightInfo>::approve_holder()
	}
	fn set_holder_status() -> Weight {
		<() as WeightInfo>::set_holder_status()
	}
	fn grant(devices: u32) -> Weight {
		<() as WeightInfo>::grant(devices)
	}
	fn revoke() -> Weight {
		<() as WeightInfo>::revoke()
	}
	fn release_expired() -> Weight {
		<() as WeightInfo>::release_expired()
	}
	fn anchor_log() -> Weight {
		<() as WeightInfo>::anchor_log()
	}
}

/// Estimates (see the module's doc) for tests and until benchmarked.
impl WeightInfo for () {
	fn set_term() -> Weight {
		Weight::from_parts(20_000_000, 3_500)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn remove_term() -> Weight {
		Weight::from_parts(20_000_000, 3_500)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn approve_holder() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 3))
	}
	fn set_holder_status() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(1, 2))
	}
	fn grant(devices: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(devices.into()))
			.saturating_add(ParityDbWeight::get().reads_writes(7, 6))
			.saturating_add(ParityDbWeight::get().reads(devices.into()))
	}
	fn revoke() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 3))
	}
	fn release_expired() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 3))
	}
	fn anchor_log() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads_writes(4, 4))
	}
}
