//! Storage migrations of ride settlement.

use super::*;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;

/// Version 0 to 1, for chains that ran the pallet before it had a storage version (spec 105
/// and older): the deadline queue's cursor (`DeadlinesFrom`) is brought to the block of the
/// upgrade when there is no ride yet, so `on_idle` never walks a history of empty blocks. A
/// chain with rides keeps its cursor (none of their deadlines may be skipped). Two reads and at
/// most one write, whatever the chain's size. (A chain that gets the pallet by an upgrade is
/// not covered: FRAME writes a new pallet's storage version before migrations run.)
pub mod v1 {
	use super::*;

	/// The migration without its version guard (see [`MigrateV0ToV1`]).
	pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let db = T::DbWeight::get();
			if Rides::<T>::iter_keys().next().is_some() {
				return db.reads(1);
			}
			let now = frame_system::Pallet::<T>::block_number();
			if DeadlinesFrom::<T>::get() < now {
				DeadlinesFrom::<T>::put(now);
				return db.reads_writes(2, 1);
			}
			db.reads(2)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			let cursor: BlockNumberFor<T> = DeadlinesFrom::<T>::get();
			let empty = Rides::<T>::iter_keys().next().is_none();
			Ok((cursor, empty).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let (before, empty): (BlockNumberFor<T>, bool) =
				Decode::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			check_cursor::<T>(before, empty)?;
			Pallet::<T>::do_try_state()
		}
	}

	/// What the migration leaves: the cursor never moves back; on a chain without rides it is
	/// at the upgrade's block (or further); on one with rides, where it was.
	pub fn check_cursor<T: Config>(
		before: BlockNumberFor<T>,
		empty: bool,
	) -> Result<(), &'static str> {
		let after = DeadlinesFrom::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(after >= before, "the cursor moved back");
		if empty {
			ensure!(after >= now, "the cursor of an empty queue is behind the upgrade");
		} else {
			ensure!(after == before, "the cursor moved past existing rides' deadlines");
		}
		Ok(())
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
