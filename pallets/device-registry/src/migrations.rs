//! Storage migrations of the device registry.

use super::*;
use city_primitives::DeviceStatus;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 1 (runtime spec 101) to 2: the zone index (`DevicesByZone`, `ZoneDeviceCount`) is
/// built from the device records (devices that may still act: not revoked, not
/// decommissioned).
///
/// It reads every device once in one block: fine for the registries this runtime upgrades
/// (development and test networks, at most some tens of thousands of devices); a city with a
/// larger registry before this version would run it as a multi-block migration instead.
/// A zone with more than `MaxDevicesPerZone` live devices of a class keeps them all indexed
/// (nothing is dropped); only new registrations there are refused until it is below the bound.
pub mod v2 {
	use super::*;

	/// The migration without its version guard (see [`MigrateV1ToV2`]).
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for (id, record) in Devices::<T>::iter() {
				reads += 1;
				if matches!(record.status, DeviceStatus::Revoked | DeviceStatus::Decommissioned) {
					continue;
				}
				DevicesByZone::<T>::insert((record.zone, record.class, id), ());
				ZoneDeviceCount::<T>::mutate(record.zone, record.class, |count| {
					*count = count.saturating_add(1)
				});
				reads += 1;
				writes += 2;
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 1 to 2, run once (the pallet's storage version guards it).
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
