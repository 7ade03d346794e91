//! Test runtime: the validator set alone, with a stub session-key registry and stall recorder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate as pallet_validator_set;
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, Contains},
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		ValidatorSet: pallet_validator_set,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	/// Accounts that have "registered session keys".
	pub static KEYED: RefCell<Vec<u64>> = RefCell::new(vec![1, 2, 3, 4, 5, 6]);
	/// Calls to `note_stalled`.
	pub static STALLS: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
}

pub struct Keyed;
impl Contains<u64> for Keyed {
	fn contains(who: &u64) -> bool {
		KEYED.with(|k| k.borrow().contains(who))
	}
}

pub fn set_keyed(accounts: &[u64]) {
	KEYED.with(|k| *k.borrow_mut() = accounts.to_vec());
}

pub struct RecordStalls;
impl crate::FinalityStallRecovery<u64> for RecordStalls {
	fn note_stalled(delay: u64, best_finalized: u64) {
		STALLS.with(|s| s.borrow_mut().push((delay, best_finalized)));
	}
}

impl pallet_validator_set::Config for Test {
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type HasSessionKeys = Keyed;
	type FinalityStallRecovery = RecordStalls;
	type MaxValidators = ConstU32<5>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Keyed;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Keyed {
	fn give_session_keys(who: &u64) {
		KEYED.with(|k| k.borrow_mut().push(*who));
	}
}

/// Four initial validators: 1, 2, 3, 4.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_validator_set::GenesisConfig::<Test> {
		initial_validators: vec![1, 2, 3, 4],
		min_validators: 3,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
