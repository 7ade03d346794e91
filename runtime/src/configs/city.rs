//! The city pallets: device registry (and, as they land, attestation, energy and rides).

use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use crate::{AccountId, Balance, Balances, Runtime, RuntimeHoldReason, MILLI_UNIT};

parameter_types! {
	/// Deposit per registered device: 0.1 CITY, returned on decommission.
	pub const DeviceDepositBase: Balance = 100 * MILLI_UNIT;
	/// Deposit per byte of device metadata: 0.001 CITY.
	pub const DeviceDepositPerByte: Balance = MILLI_UNIT;
}

/// The device registry. The registrar is root (sudo) until the city's council takes over.
impl pallet_device_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrarOrigin = EnsureRoot<AccountId>;
	type DepositBase = DeviceDepositBase;
	type DepositPerByte = DeviceDepositPerByte;
	/// A utility with more devices uses several accounts; the cap bounds per-owner queries.
	type MaxDevicesPerOwner = ConstU32<10_000>;
	type MaxUriLen = ConstU32<128>;
	type WeightInfo = pallet_device_registry::weights::SubstrateWeight<Runtime>;
}
