//! Test runtime: frame-system, balances and the device registry, with root as registrar.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate as pallet_device_registry;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

/// Test account ids are 32-byte public keys, as on CityChain.
pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		DeviceRegistry: pallet_device_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<1>;
}

use frame_support::traits::ConstU128;

parameter_types! {
	pub const DepositBase: Balance = 100;
	pub const DepositPerByte: Balance = 1;
	pub const KeyDeposit: Balance = 10;
	pub const RetainedDeposit: Balance = 20;
}

thread_local! {
	/// Devices the registry reported as retired (decommissioned), in order.
	pub static RETIRED: core::cell::RefCell<Vec<city_primitives::DeviceId>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Records what the registry tells other pallets on decommissioning.
pub struct RecordRetired;
impl city_primitives::OnDeviceRetired for RecordRetired {
	fn device_retired(id: city_primitives::DeviceId) {
		RETIRED.with(|r| r.borrow_mut().push(id));
	}

	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000, 0)
	}
}

impl pallet_device_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrarOrigin = frame_system::EnsureRoot<AccountId>;
	type DepositBase = DepositBase;
	type DepositPerByte = DepositPerByte;
	type KeyDeposit = KeyDeposit;
	type RetainedDeposit = RetainedDeposit;
	type OnRetired = RecordRetired;
	type MaxDevicesPerOwner = ConstU32<3>;
	type MaxDevicesPerZone = ConstU32<4>;
	type MaxUriLen = ConstU32<64>;
	type WeightInfo = ();
}

pub fn account(seed: u8) -> AccountId {
	AccountId32::new([seed; 32])
}

pub const ALICE: u8 = 1;
pub const BOB: u8 = 2;
pub const CHARLIE: u8 = 3;
/// An account without funds.
pub const PAUPER: u8 = 9;
pub const ENDOWMENT: Balance = 10_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	RETIRED.with(|r| r.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(account(ALICE), ENDOWMENT),
			(account(BOB), ENDOWMENT),
			(account(CHARLIE), ENDOWMENT),
			(account(PAUPER), 50),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks generate device keys in the host keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in a fresh externality, then checks the registry's state invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		crate::Pallet::<Test>::do_try_state().expect("state invariants hold");
	});
}
