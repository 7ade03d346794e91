//! Storage migrations of sensor attestation.

use super::*;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;

/// Version 0 (runtime spec 100) to 1: counters gain separate reading and batch budgets, the
/// number of kinds kept and the oldest anchor; state created without bounds is brought within
/// them; devices decommissioned before have their state queued for removal.
pub mod v1 {
	use super::*;
	use city_primitives::DeviceLookup;

	/// Counters as storage version 0 kept them.
	#[derive(Encode, Decode)]
	pub struct OldCounters<BlockNumber> {
		/// Sequence number of the last attested reading.
		pub last_seq: u64,
		/// Batch sequence number of the last anchored batch.
		pub last_batch_seq: u64,
		/// Readings attested, in total.
		pub readings: u64,
		/// Batches anchored, in total.
		pub batches: u64,
		/// Start block of the rate-limit window.
		pub window_start: BlockNumber,
		/// Submissions (readings and batches) in the window.
		pub window_count: u32,
	}

	/// The migration without its version guard (see [`MigrateV0ToV1`]).
	pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			let max_kinds = T::MaxKindsPerDevice::get() as usize;
			Counters::<T>::translate::<OldCounters<BlockNumberFor<T>>, _>(|device, old| {
				reads += 2;
				writes += 1;
				// Version 0 kept every kind a device ever reported: keep the first allowed.
				let kinds: alloc::vec::Vec<MeasurementKind> =
					Latest::<T>::iter_key_prefix(device).collect();
				reads += kinds.len() as u64;
				for extra in kinds.iter().skip(max_kinds) {
					Latest::<T>::remove(device, extra);
					writes += 1;
				}
				let first_anchor = Anchors::<T>::iter_key_prefix(device).min().unwrap_or(0);
				if T::Devices::device(device).map(|d| d.status)
					== Some(city_primitives::DeviceStatus::Decommissioned)
				{
					Retiring::<T>::insert(device, ());
					writes += 1;
				}
				Some(DeviceCounters {
					last_seq: old.last_seq,
					last_batch_seq: old.last_batch_seq,
					readings: old.readings,
					batches: old.batches,
					window_start: old.window_start,
					// The window restarts with full budgets: version 0 counted both together.
					window_readings: 0,
					window_batches: 0,
					kinds: kinds.len().min(max_kinds) as u32,
					first_anchor,
				})
			});
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 0 to 1, run once (the pallet's storage version guards it).
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		InnerMigrateV0ToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
