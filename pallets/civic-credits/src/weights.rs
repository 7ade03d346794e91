//! Weights of civic credits.
//!
//! PROVISIONAL: estimates from the storage each call reads and writes (ParityDB weights), until
//! `scripts/benchmark.sh civic-credits` replaces this file with benchmarked figures.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::weights::{constants::ParityDbWeight, Weight};

/// Weight functions of civic credits.
pub trait WeightInfo {
	fn add_deed() -> Weight;
	fn retire_deed() -> Weight;
	fn set_params() -> Weight;
	fn set_issuer() -> Weight;
	fn set_merchant() -> Weight;
	fn issue() -> Weight;
	fn spend() -> Weight;
	fn refund() -> Weight;
	fn redeem() -> Weight;
	fn expire() -> Weight;
	fn enroll() -> Weight;
	fn unenroll() -> Weight;
	fn fund_rewards() -> Weight;
	fn claim_reward() -> Weight;
	fn forget_points() -> Weight;
	fn count_readings() -> Weight;
}

/// The runtime's weights: the estimates below, until benchmarked.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T> WeightInfo for SubstrateWeight<T> {
	fn add_deed() -> Weight {
		<() as WeightInfo>::add_deed()
	}
	fn retire_deed() -> Weight {
		<() as WeightInfo>::retire_deed()
	}
	fn set_params() -> Weight {
		<() as WeightInfo>::set_params()
	}
	fn set_issuer() -> Weight {
		<() as WeightInfo>::set_issuer()
	}
	fn set_merchant() -> Weight {
		<() as WeightInfo>::set_merchant()
	}
	fn issue() -> Weight {
		<() as WeightInfo>::issue()
	}
	fn spend() -> Weight {
		<() as WeightInfo>::spend()
	}
	fn refund() -> Weight {
		<() as WeightInfo>::refund()
	}
	fn redeem() -> Weight {
		<() as WeightInfo>::redeem()
	}
	fn expire() -> Weight {
		<() as WeightInfo>::expire()
	}
	fn enroll() -> Weight {
		<() as WeightInfo>::enroll()
	}
	fn unenroll() -> Weight {
		<() as WeightInfo>::unenroll()
	}
	fn fund_rewards() -> Weight {
		<() as WeightInfo>::fund_rewards()
	}
	fn claim_reward() -> Weight {
		<() as WeightInfo>::claim_reward()
	}
	fn forget_points() -> Weight {
		<() as WeightInfo>::forget_points()
	}
	fn count_readings() -> Weight {
		<() as WeightInfo>::count_readings()
	}
}

/// Estimates (see the module's doc) for tests and until benchmarked.
impl WeightInfo for () {
	fn add_deed() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn retire_deed() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(1, 1))
	}
	fn set_params() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(0, 1))
	}
	fn set_issuer() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 1))
	}
	fn set_merchant() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(1, 1))
	}
	fn issue() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(6, 5))
	}
	fn spend() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 3))
	}
	fn refund() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 3))
	}
	fn redeem() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 2))
	}
	fn expire() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(1, 2))
	}
	fn enroll() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(5, 3))
	}
	fn unenroll() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(5, 4))
	}
	fn fund_rewards() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 1))
	}
	fn claim_reward() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(4, 4))
	}
	fn forget_points() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(2, 1))
	}
	fn count_readings() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads_writes(8, 3))
	}
}
