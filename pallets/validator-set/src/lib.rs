//! # Validator set
//!
//! The city's validators (departments and partners) are chosen by governance: an admin origin
//! (root now, a council later) adds and removes them while the chain runs. Changes take effect
//! at the next session boundary through pallet-session's [`pallet_session::SessionManager`]:
//! pallet-session then hands the new set to Aura and GRANDPA.
//!
//! - A validator only joins once it has registered session keys (`session.set_keys`); one
//!   whose keys are purged drops out at the next session.
//! - The set never shrinks below [`MinValidators`] (GRANDPA needs 3f+1 voters to tolerate f
//!   failures) and never grows above `MaxValidators`.
//! - `note_stalled` lets the admin origin restart a stalled GRANDPA (see the runbook in
//!   `docs/validators.md`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

/// Prepares what the benchmarks need in the real runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an account with session keys, so it may join the set.
	fn give_session_keys(who: &AccountId);
}

/// Restarts a stalled finality gadget: `delay` blocks after the `best_finalized_block_number`,
/// the authority set is forcibly changed to the current one (GRANDPA's `note_stalled`).
pub trait FinalityStallRecovery<BlockNumber> {
	/// Schedules the forced change.
	fn note_stalled(delay: BlockNumber, best_finalized_block_number: BlockNumber);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;
	use sp_staking::SessionIndex;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the validator set.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Who may add and remove validators and restart a stalled finality.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Whether an account has registered session keys (`session.set_keys`).
		type HasSessionKeys: Contains<Self::AccountId>;

		/// Restarts GRANDPA after a finality stall.
		type FinalityStallRecovery: FinalityStallRecovery<BlockNumberFor<Self>>;

		/// The set can never have more validators than this.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Gives benchmark accounts session keys.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The validators chosen by governance. Those with session keys form the set of the next
	/// session.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// The set can never have fewer validators than this (set at genesis, changed by the admin
	/// origin). Four validators tolerate one failure under GRANDPA; three tolerate none.
	#[pallet::storage]
	pub type MinValidators<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Whether `Validators` changed since the last session rotation, so the next one must
	/// hand a new set to pallet-session.
	#[pallet::storage]
	pub type SetChanged<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// The initial validators.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Validators of the first session; their session keys go into pallet-session's
		/// genesis.
		pub initial_validators: Vec<T::AccountId>,
		/// The minimum set size (at least 1, at most the number of initial validators).
		pub min_validators: u32,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut seen = Vec::new();
			for validator in &self.initial_validators {
				assert!(!seen.contains(validator), "duplicate initial validator");
				seen.push(validator.clone());
			}
			// An empty set is only for test genesis (no validators at all); a real network
			// needs a minimum of at least one.
			assert!(
				seen.is_empty() || self.min_validators >= 1,
				"min_validators must be at least 1"
			);
			assert!(
				seen.len() as u32 >= self.min_validators,
				"fewer initial validators than min_validators"
			);
			MinValidators::<T>::put(self.min_validators);
			assert!(
				seen.len() as u32 <= T::MaxValidators::get(),
				"more initial validators than MaxValidators"
			);
			Validators::<T>::put(BoundedVec::truncate_from(seen));
		}
	}

	/// Events of the validator set.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A validator was added; it validates from the session after next with keys.
		ValidatorAdded { who: T::AccountId },
		/// A validator was removed; it stops validating at the next session change.
		ValidatorRemoved { who: T::AccountId },
		/// A new validator set was handed to pallet-session for session `session`.
		NewSetQueued { session: SessionIndex, validators: u32 },
		/// A validator without session keys was left out of the set for session `session`.
		ValidatorWithoutKeysSkipped { session: SessionIndex, who: T::AccountId },
		/// The minimum set size changed.
		MinValidatorsSet { min: u32 },
		/// A forced GRANDPA authority set change was scheduled to recover from a stall.
		FinalityStallNoted { delay: BlockNumberFor<T>, best_finalized: BlockNumberFor<T> },
	}

	/// Errors of the validator set.
	#[pallet::error]
	pub enum Error<T> {
		/// The account is a validator already.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The set is full (`MaxValidators`).
		TooManyValidators,
		/// Removing would leave fewer than `MinValidators` validators.
		TooFewValidators,
		/// The account has not registered session keys (`session.set_keys`) yet.
		NoSessionKeys,
		/// The minimum must be at least 1 and at most the current number of validators.
		InvalidMinimum,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add a validator (admin origin). It must have registered session keys; it joins the
		/// set at the next session change, and validates from the session after (pallet-session
		/// queues keys one session ahead).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_validator(who)
		}

		/// Remove a validator (admin origin). The set never drops below `MinValidators`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_remove_validator(who)
		}

		/// Recover from a GRANDPA finality stall (admin origin): `delay` blocks after block
		/// `best_finalized_block_number` (the highest block all honest validators finalized),
		/// the current authority set is forcibly re-applied and voting restarts.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::note_stalled())]
		pub fn note_stalled(
			origin: OriginFor<T>,
			delay: BlockNumberFor<T>,
			best_finalized_block_number: BlockNumberFor<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			T::FinalityStallRecovery::note_stalled(delay, best_finalized_block_number);
			Self::deposit_event(Event::FinalityStallNoted {
				delay,
				best_finalized: best_finalized_block_number,
			});
			Ok(())
		}

		/// Set the minimum set size (admin origin): at least 1, at most the current number of
		/// validators.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_min_validators())]
		pub fn set_min_validators(origin: OriginFor<T>, min: u32) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(
				min >= 1 && min <= Validators::<T>::decode_len().unwrap_or(0) as u32,
				Error::<T>::InvalidMinimum
			);
			MinValidators::<T>::put(min);
			Self::deposit_event(Event::MinValidatorsSet { min });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Adds `who` to the set.
		pub fn do_add_validator(who: T::AccountId) -> DispatchResult {
			ensure!(T::HasSessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			Validators::<T>::try_mutate(|validators| -> DispatchResult {
				ensure!(!validators.contains(&who), Error::<T>::AlreadyValidator);
				validators.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
				Ok(())
			})?;
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Removes `who` from the set.
		pub fn do_remove_validator(who: T::AccountId) -> DispatchResult {
			Validators::<T>::try_mutate(|validators| -> DispatchResult {
				let index =
					validators.iter().position(|v| v == &who).ok_or(Error::<T>::NotValidator)?;
				ensure!(
					validators.len() as u32 > MinValidators::<T>::get(),
					Error::<T>::TooFewValidators
				);
				validators.remove(index);
				Ok(())
			})?;
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}

		/// The validators with session keys, in governance order.
		fn keyed_validators(session: SessionIndex) -> Vec<T::AccountId> {
			Validators::<T>::get()
				.into_iter()
				.filter(|who| {
					let keyed = T::HasSessionKeys::contains(who);
					if !keyed {
						Self::deposit_event(Event::ValidatorWithoutKeysSkipped {
							session,
							who: who.clone(),
						});
					}
					keyed
				})
				.collect()
		}
	}

	impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
		/// Hands the governed set to pallet-session when it changed (or a validator lost its
		/// keys). Keeps the current set if too few validators have keys: a set below the
		/// minimum would risk finality.
		fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
			let all = Validators::<T>::get();
			let keyed = Self::keyed_validators(new_index);
			let lost_keys = keyed.len() != all.len();
			if !SetChanged::<T>::get() && !lost_keys {
				return None;
			}
			if (keyed.len() as u32) < MinValidators::<T>::get() {
				return None;
			}
			SetChanged::<T>::put(false);
			Self::deposit_event(Event::NewSetQueued {
				session: new_index,
				validators: keyed.len() as u32,
			});
			Some(keyed)
		}

		fn new_session_genesis(_new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
			Some(Validators::<T>::get().into_inner())
		}

		fn end_session(_end_index: SessionIndex) {}

		fn start_session(_start_index: SessionIndex) {}
	}
}
