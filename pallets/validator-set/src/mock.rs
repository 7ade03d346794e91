//! Test runtime: the validator set alone, with a stub session-key registry and stall recorder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate as pallet_validator_set;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::ConstU32};
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
	/// The validators pallet-session has queued.
	pub static QUEUED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
	/// Calls to `note_stalled`.
	pub static STALLS: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
}

/// Session keys as a list of accounts that have them.
pub struct Keyed;
impl crate::SessionKeys<u64> for Keyed {
	fn has_keys(who: &u64) -> bool {
		KEYED.with(|k| k.borrow().contains(who))
	}

	fn purge_keys(who: &u64) -> sp_runtime::DispatchResult {
		KEYED.with(|k| {
			let mut keyed = k.borrow_mut();
			let before = keyed.len();
			keyed.retain(|k| k != who);
			if keyed.len() == before {
				Err(sp_runtime::DispatchError::Other("no keys"))
			} else {
				Ok(())
			}
		})
	}

	fn purge_keys_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000, 0)
	}

	fn queued() -> Vec<u64> {
		QUEUED.with(|q| q.borrow().clone())
	}
}

/// What pallet-session does with the answer of `new_session`: a new set is queued without the
/// validators that have no keys; no set keeps the current one, again without those.
pub fn rotate(session: u32) -> Option<Vec<u64>> {
	use pallet_session::SessionManager;
	let handed = crate::Pallet::<Test>::new_session(session);
	let base = handed.clone().unwrap_or_else(|| QUEUED.with(|q| q.borrow().clone()));
	let queued: Vec<u64> =
		base.into_iter().filter(|v| KEYED.with(|k| k.borrow().contains(v))).collect();
	QUEUED.with(|q| *q.borrow_mut() = queued);
	handed
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
	type SessionKeys = Keyed;
	type FinalityStallRecovery = RecordStalls;
	type MaxValidators = ConstU32<5>;
	type MinSessionLength = frame_support::traits::ConstU64<5>;
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

/// Four initial validators: 1, 2, 3, 4 (minimum 3; sessions of 10 blocks). Accounts 1 to 6
/// have session keys.
pub fn new_test_ext() -> sp_io::TestExternalities {
	set_keyed(&[1, 2, 3, 4, 5, 6]);
	QUEUED.with(|q| *q.borrow_mut() = vec![1, 2, 3, 4]);
	STALLS.with(|s| s.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_validator_set::GenesisConfig::<Test> {
		initial_validators: vec![1, 2, 3, 4],
		min_validators: 3,
		session_length: 10,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in a fresh externality, then checks the pallet's state invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		crate::Pallet::<Test>::do_try_state().expect("state invariants hold");
	});
}
