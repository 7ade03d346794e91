//! # Validator set
//!
//! The city's validators (departments and partners) are chosen by governance: an admin origin
//! (root now, a council later) adds and removes them while the chain runs. Changes take effect
//! at the next session boundary through pallet-session's [`pallet_session::SessionManager`]:
//! pallet-session then hands the new set to Aura and GRANDPA.
//!
//! - A validator only joins once it has registered session keys (`session.set_keys`).
//!   pallet-session drops every validator without keys from the set it hands to Aura and
//!   GRANDPA, so keys are what counts: the minimum is enforced on validators *with keys*, and a
//!   governed validator cannot purge its keys (the runtime filters `session.purge_keys`; this
//!   pallet's `purge_keys` serves everyone else). The set pallet-session uses therefore never
//!   shrinks below [`MinValidators`] (GRANDPA needs 3f+1 voters to tolerate f failures) and
//!   never grows above `MaxValidators`; what cannot be applied is refused with an error.
//! - pallet-session is handed a new set only when the keyed set differs from the set it has
//!   queued, so GRANDPA sees a new authority set only when membership really changes.
//! - The session length is [`SessionLength`] blocks (set at genesis, changed by the admin
//!   origin): pallet-session charges a whole block's weight at every rotation, so a city
//!   network uses long sessions (an hour) and test networks short ones.
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

/// The session keys of accounts, as pallet-session keeps them.
pub trait SessionKeys<AccountId> {
	/// Whether `who` has registered session keys.
	fn has_keys(who: &AccountId) -> bool;

	/// Removes `who`'s session keys and returns their deposit (pallet-session's `purge_keys`,
	/// which the runtime does not let accounts call directly).
	fn purge_keys(who: &AccountId) -> sp_runtime::DispatchResult;

	/// The weight of [`Self::purge_keys`].
	fn purge_keys_weight() -> frame_support::weights::Weight;

	/// The validators pallet-session has queued for the next session (what it was last
	/// handed, without those that had no keys then).
	fn queued() -> alloc::vec::Vec<AccountId>;
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
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{One, Zero};
	use sp_staking::SessionIndex;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the validator set.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Who may add and remove validators and restart a stalled finality.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Session keys of accounts (`session.set_keys`), and their removal.
		type SessionKeys: SessionKeys<Self::AccountId>;

		/// Restarts GRANDPA after a finality stall.
		type FinalityStallRecovery: FinalityStallRecovery<BlockNumberFor<Self>>;

		/// The set can never have more validators than this.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// The shortest session allowed, in blocks: pallet-session charges a whole block's
		/// weight at every rotation, so a session of one or two blocks would leave no room for
		/// any ordinary transaction, not even the one that lengthens the session again.
		#[pallet::constant]
		type MinSessionLength: Get<BlockNumberFor<Self>>;

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

	/// Session length in blocks (pallet-session rotates when the block number is a multiple
	/// of it). Set at genesis; changed by the admin origin.
	#[pallet::storage]
	pub type SessionLength<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The initial validators.
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Validators of the first session; their session keys go into pallet-session's
		/// genesis.
		pub initial_validators: Vec<T::AccountId>,
		/// The minimum set size (at least 1, at most the number of initial validators).
		pub min_validators: u32,
		/// Session length in blocks (at least `MinSessionLength`, which is the default).
		pub session_length: BlockNumberFor<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self {
				initial_validators: Vec::new(),
				min_validators: 0,
				session_length: T::MinSessionLength::get(),
			}
		}
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
			assert!(
				self.session_length >= T::MinSessionLength::get(),
				"session_length must be at least MinSessionLength"
			);
			SessionLength::<T>::put(self.session_length);
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
		/// Fewer governed validators have keys than the minimum: the set of session `session`
		/// stays as it is (pallet-session keeps the validators that still have keys).
		TooFewKeyedValidators { session: SessionIndex, keyed: u32 },
		/// An account that is not a governed validator removed its session keys.
		KeysPurged { who: T::AccountId },
		/// The session length changed; it applies from the next multiple of `length`.
		SessionLengthSet { length: BlockNumberFor<T> },
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
		/// Removing would leave fewer than `MinValidators` validators with session keys.
		TooFewValidators,
		/// The account has not registered session keys (`session.set_keys`) yet.
		NoSessionKeys,
		/// The minimum must be at least 1 and at most the number of validators with keys.
		InvalidMinimum,
		/// A governed validator cannot purge its session keys (that would take it out of the
		/// set without governance); it must be removed first.
		StillValidator,
		/// The session length must be at least `MinSessionLength` blocks.
		InvalidSessionLength,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxValidators::get() >= 1, "the set must hold a validator");
			assert!(!T::MinSessionLength::get().is_zero(), "a session lasts a block at least");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
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

		/// Remove a validator (admin origin). The validators with session keys never drop below
		/// `MinValidators`.
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

		/// Set the minimum set size (admin origin): at least 1, at most the number of
		/// validators with session keys.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_min_validators())]
		pub fn set_min_validators(origin: OriginFor<T>, min: u32) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(
				min >= 1 && min <= Self::keyed_count(&Validators::<T>::get()),
				Error::<T>::InvalidMinimum
			);
			MinValidators::<T>::put(min);
			Self::deposit_event(Event::MinValidatorsSet { min });
			Ok(())
		}

		/// Remove the caller's session keys and release their deposit (pallet-session's
		/// `purge_keys`, which the runtime does not let accounts call directly). Refused for a
		/// governed validator: governance removes it first.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::purge_keys().saturating_add(
			T::SessionKeys::purge_keys_weight()
		))]
		pub fn purge_keys(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Validators::<T>::get().contains(&who), Error::<T>::StillValidator);
			T::SessionKeys::purge_keys(&who)?;
			Self::deposit_event(Event::KeysPurged { who });
			Ok(())
		}

		/// Set the session length in blocks (admin origin, at least `MinSessionLength`).
		/// Validator set changes take effect at session boundaries, and every rotation costs a
		/// block's weight.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_session_length())]
		pub fn set_session_length(
			origin: OriginFor<T>,
			length: BlockNumberFor<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(length >= T::MinSessionLength::get(), Error::<T>::InvalidSessionLength);
			SessionLength::<T>::put(length);
			Self::deposit_event(Event::SessionLengthSet { length });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Adds `who` to the set.
		pub fn do_add_validator(who: T::AccountId) -> DispatchResult {
			ensure!(T::SessionKeys::has_keys(&who), Error::<T>::NoSessionKeys);
			Validators::<T>::try_mutate(|validators| -> DispatchResult {
				ensure!(!validators.contains(&who), Error::<T>::AlreadyValidator);
				validators.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
				Ok(())
			})?;
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Removes `who` from the set.
		pub fn do_remove_validator(who: T::AccountId) -> DispatchResult {
			Validators::<T>::try_mutate(|validators| -> DispatchResult {
				let index =
					validators.iter().position(|v| v == &who).ok_or(Error::<T>::NotValidator)?;
				validators.remove(index);
				// What pallet-session will use: the validators left that have keys.
				ensure!(
					Self::keyed_count(validators) >= MinValidators::<T>::get(),
					Error::<T>::TooFewValidators
				);
				Ok(())
			})?;
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}

		/// How many of `validators` have session keys.
		fn keyed_count(validators: &[T::AccountId]) -> u32 {
			validators.iter().filter(|who| T::SessionKeys::has_keys(who)).count() as u32
		}

		/// The governed validators with session keys, in governance order.
		fn keyed_validators() -> Vec<T::AccountId> {
			Validators::<T>::get().into_iter().filter(T::SessionKeys::has_keys).collect()
		}

		/// The state invariants: the set and the handed set are within bounds, the minimum is
		/// met by validators with keys, and the session length is positive.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let validators = Validators::<T>::get();
			let mut sorted = validators.clone().into_inner();
			sorted.sort();
			sorted.dedup();
			ensure!(sorted.len() == validators.len(), "a validator is listed twice");
			let min = MinValidators::<T>::get();
			ensure!(validators.is_empty() || min >= 1, "the minimum is zero");
			ensure!(
				Self::keyed_count(&validators) >= min,
				"fewer keyed validators than the minimum"
			);
			ensure!(
				validators.is_empty() || !T::SessionKeys::queued().is_empty(),
				"pallet-session has no validators queued"
			);
			ensure!(
				SessionLength::<T>::get() >= T::MinSessionLength::get(),
				"the session length is below the minimum"
			);
			Ok(())
		}
	}

	/// The session length as pallet-session's `PeriodicSessions` reads it.
	pub struct SessionPeriod<T>(core::marker::PhantomData<T>);
	impl<T: Config> Get<BlockNumberFor<T>> for SessionPeriod<T> {
		fn get() -> BlockNumberFor<T> {
			// Never zero: `PeriodicSessions` divides by it.
			SessionLength::<T>::get().max(T::MinSessionLength::get()).max(One::one())
		}
	}

	impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
		/// Hands the governed validators with keys to pallet-session when they differ from the
		/// set it has queued. Keeps the current set if fewer than the minimum have keys (which
		/// governance cannot cause: the calls refuse it).
		fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
			let keyed = Self::keyed_validators();
			if keyed == T::SessionKeys::queued() {
				return None;
			}
			if (keyed.len() as u32) < MinValidators::<T>::get() {
				Self::deposit_event(Event::TooFewKeyedValidators {
					session: new_index,
					keyed: keyed.len() as u32,
				});
				return None;
			}
			for who in Validators::<T>::get().iter().filter(|who| !keyed.contains(who)) {
				Self::deposit_event(Event::ValidatorWithoutKeysSkipped {
					session: new_index,
					who: who.clone(),
				});
			}
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
