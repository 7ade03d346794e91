//! Unit and property tests of civic credits.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
	BoundedVec,
};
use sp_core::H256;
use sp_runtime::DispatchError;

use crate::{
	mock::*, CreditStats, Error, Event, HoldReason, IssuedBy, IssuedForDeed, Issuers, Lot, Lots,
	Merchants, Parameters, Params, Refundable, RewardPools, Stats,
};

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn signed(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(n))
}

fn name(text: &str) -> BoundedVec<u8, ConstU32_32> {
	text.as_bytes().to_vec().try_into().unwrap()
}

type ConstU32_32 = frame_support::traits::ConstU32<32>;

fn evidence(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

/// The agency may reward volunteering and care, 1,000 credits per quota period.
fn approve_agency() {
	assert_ok!(Credits::set_issuer(
		root(),
		account(AGENCY),
		name("Food bank"),
		1_000,
		vec![VOLUNTEERING, CARE].try_into().unwrap(),
		true,
	));
}

fn approve_shop(n: u8) {
	assert_ok!(Credits::set_merchant(root(), account(n), name("Corner shop"), 1_000, true));
}

fn balance(n: u8) -> Balance {
	Credits::lots_of(&account(n)).iter().map(|l| l.amount).sum()
}

fn run_to(block: u64) {
	System::set_block_number(block);
}

#[test]
fn only_the_city_keeps_the_deed_list_issuers_merchants_and_parameters() {
	new_test_ext().execute_with(|| {
		assert_noop!(Credits::add_deed(signed(AGENCY), 9, name("x")), DispatchError::BadOrigin);
		assert_noop!(Credits::retire_deed(signed(AGENCY), CARE), DispatchError::BadOrigin);
		assert_noop!(Credits::set_params(signed(AGENCY), PARAMS), DispatchError::BadOrigin);
		assert_noop!(
			Credits::set_issuer(
				signed(AGENCY),
				account(AGENCY),
				name("x"),
				1,
				Default::default(),
				true
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Credits::set_merchant(signed(SHOP), account(SHOP), name("x"), 0, true),
			DispatchError::BadOrigin
		);
		assert_noop!(Credits::fund_rewards(signed(AGENCY), 0, 100), DispatchError::BadOrigin);
	});
}

#[test]
fn the_deed_list_has_permanent_codes_and_a_bound() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Credits::add_deed(root(), CARE, name("care again")),
			Error::<Test>::DeedExists
		);
		assert_ok!(Credits::add_deed(root(), 4, name("tutoring")));
		assert_eq!(last_event(), RuntimeEvent::Credits(Event::DeedAdded { code: 4 }));
		assert_noop!(
			Credits::add_deed(root(), 5, name("one too many")),
			Error::<Test>::TooManyDeeds
		);
		assert_noop!(Credits::retire_deed(root(), 9), Error::<Test>::UnknownDeed);
		assert_ok!(Credits::retire_deed(root(), 4));
		assert!(crate::Deeds::<Test>::get(4).unwrap().retired);
		assert_noop!(Credits::retire_deed(root(), 4), Error::<Test>::DeedRetired);
	});
}

#[test]
fn parameters_must_be_positive_and_fit_the_lots() {
	new_test_ext().execute_with(|| {
		for bad in [
			Params { expiry_blocks: 0, ..PARAMS },
			Params { quota_period_blocks: 0, ..PARAMS },
			Params { reward_period_blocks: 0, ..PARAMS },
			Params { points_cap_per_device: 0, ..PARAMS },
			// 101 / 10 + 2 = 12 lots fit; 110 / 10 + 2 = 13 do not.
			Params { expiry_blocks: 110, ..PARAMS },
		] {
			assert_noop!(Credits::set_params(root(), bad), Error::<Test>::BadParams);
		}
		// The periods' lengths are fixed once set (their numbering depends on them).
		assert_noop!(
			Credits::set_params(root(), Params { reward_period_blocks: 20, ..PARAMS }),
			Error::<Test>::PeriodsFixed
		);
		assert_noop!(
			Credits::set_params(root(), Params { quota_period_blocks: 10, ..PARAMS }),
			Error::<Test>::PeriodsFixed
		);
		let longest = Params { expiry_blocks: 109, ..PARAMS };
		assert_ok!(Credits::set_params(root(), longest));
		assert_eq!(Parameters::<Test>::get(), Some(longest));
		assert_eq!(last_event(), RuntimeEvent::Credits(Event::ParamsSet { params: longest }));
	});
}

#[test]
fn an_issuer_issues_within_its_quota_for_its_deeds_and_every_issue_is_counted() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Credits::set_issuer(
				root(),
				account(AGENCY),
				name("x"),
				1,
				vec![9].try_into().unwrap(),
				true
			),
			Error::<Test>::UnknownDeed
		);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 100, VOLUNTEERING, evidence(1)),
			Error::<Test>::NotIssuer
		);
		approve_agency();
		assert_ok!(Credits::issue(
			signed(AGENCY),
			account(CITIZEN),
			600,
			VOLUNTEERING,
			evidence(1)
		));
		// Issued at block 1: expires 50 blocks on, rounded up to the next 10.
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Issued {
				issuer: account(AGENCY),
				to: account(CITIZEN),
				amount: 600,
				deed: VOLUNTEERING,
				evidence: evidence(1),
				expires_at: 60,
			})
		);
		assert_eq!(
			Lots::<Test>::get(account(CITIZEN)).into_inner(),
			vec![Lot { expires_at: 60, amount: 600 }]
		);
		assert_ok!(Credits::issue(signed(AGENCY), account(NEIGHBOUR), 300, CARE, evidence(2)));
		// 900 of 1,000 used: 200 more is over the quota.
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 200, CARE, evidence(3)),
			Error::<Test>::QuotaExceeded
		);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), MIN_AMOUNT - 1, CARE, evidence(3)),
			Error::<Test>::BelowMinimum
		);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 50, CLEAN_UP, evidence(3)),
			Error::<Test>::DeedNotAllowed
		);
		// Issuers and merchants receive no issued credits; no account is both.
		approve_shop(SHOP);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(SHOP), 50, CARE, evidence(3)),
			Error::<Test>::RecipientNotCitizen
		);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(AGENCY), 50, CARE, evidence(3)),
			Error::<Test>::RecipientNotCitizen
		);
		assert_noop!(
			Credits::set_merchant(root(), account(AGENCY), name("x"), 0, true),
			Error::<Test>::DualRole
		);
		assert_noop!(
			Credits::set_issuer(root(), account(SHOP), name("x"), 1, Default::default(), true),
			Error::<Test>::DualRole
		);
		let record = Issuers::<Test>::get(account(AGENCY)).unwrap();
		assert_eq!((record.issued_in_period, record.issued_total), (900, 900));
		assert_eq!(Credits::quota_left(&record), 100);
		assert_eq!(IssuedBy::<Test>::get(account(AGENCY), VOLUNTEERING).amount, 600);
		assert_eq!(IssuedBy::<Test>::get(account(AGENCY), CARE).count, 1);
		assert_eq!(IssuedForDeed::<Test>::get(CARE).amount, 300);
		assert_eq!(Stats::<Test>::get().issued, 900);
		let view = Credits::issuer_view(&account(AGENCY)).unwrap();
		assert_eq!(view.quota_left, 100);
		assert_eq!(view.by_deed.len(), 2);

		// The next quota period (blocks 20 to 39) starts afresh.
		run_to(20);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 1_000, CARE, evidence(4)));
		let record = Issuers::<Test>::get(account(AGENCY)).unwrap();
		assert_eq!(
			(record.period, record.issued_in_period, record.issued_total),
			(1, 1_000, 1_900)
		);

		// Retired deeds and deactivated issuers issue nothing.
		assert_ok!(Credits::retire_deed(root(), CARE));
		run_to(40);
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 10, CARE, evidence(5)),
			Error::<Test>::DeedRetired
		);
		assert_ok!(Credits::set_issuer(
			root(),
			account(AGENCY),
			name("Food bank"),
			1_000,
			vec![VOLUNTEERING].try_into().unwrap(),
			false,
		));
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 10, VOLUNTEERING, evidence(5)),
			Error::<Test>::IssuerInactive
		);
		// What it issued stays counted.
		assert_eq!(Issuers::<Test>::get(account(AGENCY)).unwrap().issued_total, 1_900);
	});
}

#[test]
fn nothing_is_issued_before_the_city_sets_the_parameters() {
	new_test_ext().execute_with(|| {
		approve_agency();
		Parameters::<Test>::kill();
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 100, CARE, evidence(1)),
			Error::<Test>::NoParams
		);
		assert_noop!(Credits::fund_rewards(root(), 0, 100), Error::<Test>::NoParams);
		assert_noop!(Credits::enroll(signed(CITIZEN), 1, 1), Error::<Test>::NoParams);
		assert_noop!(Credits::claim_reward(signed(CITIZEN), 0), Error::<Test>::NoParams);
		assert_noop!(
			Credits::forget_points(signed(CITIZEN), 0, account(CITIZEN)),
			Error::<Test>::NoParams
		);
	});
}

#[test]
fn overflowing_issues_are_refused() {
	new_test_ext().execute_with(|| {
		assert_ok!(Credits::set_issuer(
			root(),
			account(AGENCY),
			name("Mint"),
			Balance::MAX,
			vec![CARE].try_into().unwrap(),
			true,
		));
		assert_ok!(Credits::issue(
			signed(AGENCY),
			account(CITIZEN),
			Balance::MAX - 5,
			CARE,
			evidence(1)
		));
		assert_noop!(
			Credits::issue(signed(AGENCY), account(NEIGHBOUR), 10, CARE, evidence(2)),
			Error::<Test>::Overflow
		);
	});
}

#[test]
fn citizens_spend_only_at_merchants_soonest_expiring_first() {
	new_test_ext().execute_with(|| {
		approve_agency();
		approve_shop(SHOP);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 100, CARE, evidence(1)));
		run_to(15);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 200, CARE, evidence(2)));
		assert_eq!(
			Lots::<Test>::get(account(CITIZEN)).into_inner(),
			vec![Lot { expires_at: 60, amount: 100 }, Lot { expires_at: 70, amount: 200 }]
		);
		// No citizen-to-citizen transfer: the payee must be a merchant.
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(NEIGHBOUR), 50),
			Error::<Test>::NotMerchant
		);
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(CITIZEN), 50),
			Error::<Test>::SelfPayment
		);
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(SHOP), 301),
			Error::<Test>::InsufficientCredits
		);
		assert_ok!(Credits::spend(signed(CITIZEN), account(SHOP), 150));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Spent {
				citizen: account(CITIZEN),
				merchant: account(SHOP),
				amount: 150
			})
		);
		// The 100 expiring at 60 went first, then 50 of the 200.
		assert_eq!(
			Lots::<Test>::get(account(CITIZEN)).into_inner(),
			vec![Lot { expires_at: 70, amount: 150 }]
		);
		let shop = Merchants::<Test>::get(account(SHOP)).unwrap();
		assert_eq!((shop.balance, shop.received_total), (150, 150));
		assert_eq!(Stats::<Test>::get().spent, 150);

		// A deactivated merchant takes nothing more, but may still refund and redeem.
		assert_ok!(Credits::set_merchant(root(), account(SHOP), name("Corner shop"), 500, false));
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(SHOP), 10),
			Error::<Test>::MerchantInactive
		);
		assert_noop!(
			Credits::set_merchant(root(), account(SHOP), name("x"), 10_001, true),
			Error::<Test>::BadDiscount
		);
		// Updating keeps the balance.
		assert_eq!(Merchants::<Test>::get(account(SHOP)).unwrap().balance, 150);
		// Below the minimum only to spend what is left.
		approve_shop(CAFE);
		assert_ok!(Credits::spend(signed(CITIZEN), account(CAFE), 145));
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(CAFE), 3),
			Error::<Test>::BelowMinimum
		);
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(CAFE), 0),
			Error::<Test>::BelowMinimum
		);
		assert_ok!(Credits::spend(signed(CITIZEN), account(CAFE), 5));
		assert!(!Lots::<Test>::contains_key(account(CITIZEN)));
	});
}

#[test]
fn merchants_refund_and_redeem_what_they_hold() {
	new_test_ext().execute_with(|| {
		approve_agency();
		approve_shop(SHOP);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 300, CARE, evidence(1)));
		assert_ok!(Credits::spend(signed(CITIZEN), account(SHOP), 200));
		assert_eq!(Refundable::<Test>::get(account(SHOP), account(CITIZEN)), (200, 60));
		assert_noop!(
			Credits::refund(signed(CAFE), account(CITIZEN), 50),
			Error::<Test>::NotMerchant
		);
		// At most what that citizen spent there: no refund to another citizen.
		assert_noop!(
			Credits::refund(signed(SHOP), account(CITIZEN), 201),
			Error::<Test>::NotRefundable
		);
		assert_noop!(
			Credits::refund(signed(SHOP), account(NEIGHBOUR), 50),
			Error::<Test>::NotRefundable
		);
		assert_noop!(Credits::refund(signed(SHOP), account(SHOP), 50), Error::<Test>::SelfPayment);
		assert_noop!(
			Credits::refund(signed(SHOP), account(CITIZEN), 0),
			Error::<Test>::BelowMinimum
		);
		assert_noop!(Credits::redeem(signed(CAFE), 10), Error::<Test>::NotMerchant);
		assert_noop!(
			Credits::redeem(signed(SHOP), 201),
			Error::<Test>::InsufficientMerchantBalance
		);
		assert_noop!(Credits::redeem(signed(SHOP), 0), Error::<Test>::BelowMinimum);
		assert_ok!(Credits::redeem(signed(SHOP), 150));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Redeemed { merchant: account(SHOP), amount: 150 })
		);
		// Refundable, but redeemed already.
		assert_noop!(
			Credits::refund(signed(SHOP), account(CITIZEN), 100),
			Error::<Test>::InsufficientMerchantBalance
		);
		run_to(12);
		assert_ok!(Credits::refund(signed(SHOP), account(CITIZEN), 50));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Refunded {
				merchant: account(SHOP),
				citizen: account(CITIZEN),
				amount: 50
			})
		);
		// The refund keeps the spent credits' expiry: it joins the lot expiring at 60.
		assert_eq!(
			Lots::<Test>::get(account(CITIZEN)).into_inner(),
			vec![Lot { expires_at: 60, amount: 150 }]
		);
		assert_eq!(Refundable::<Test>::get(account(SHOP), account(CITIZEN)), (150, 60));
		let shop = Merchants::<Test>::get(account(SHOP)).unwrap();
		assert_eq!((shop.balance, shop.redeemed_total), (0, 150));
		assert_eq!(
			Stats::<Test>::get(),
			CreditStats {
				issued: 300,
				rewarded: 0,
				spent: 200,
				refunded: 50,
				redeemed: 150,
				expired: 0
			}
		);
		assert_eq!(Credits::stats_view().outstanding, 150);
	});
}

#[test]
fn a_refund_of_expired_credits_is_refused() {
	new_test_ext().execute_with(|| {
		approve_agency();
		approve_shop(SHOP);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 100, CARE, evidence(1)));
		assert_ok!(Credits::spend(signed(CITIZEN), account(SHOP), 100));
		run_to(60);
		assert_noop!(
			Credits::refund(signed(SHOP), account(CITIZEN), 100),
			Error::<Test>::RefundExpired
		);
		// Refunding all of it clears the record.
		run_to(1);
		assert_ok!(Credits::refund(signed(SHOP), account(CITIZEN), 100));
		assert!(!Refundable::<Test>::contains_key(account(SHOP), account(CITIZEN)));
	});
}

#[test]
fn credits_expire_and_are_burned() {
	new_test_ext().execute_with(|| {
		approve_agency();
		approve_shop(SHOP);
		assert_ok!(Credits::issue(signed(AGENCY), account(CITIZEN), 100, CARE, evidence(1)));
		run_to(59);
		assert_eq!(balance(CITIZEN), 100);
		run_to(60);
		assert_eq!(balance(CITIZEN), 0);
		// An expired lot cannot be spent.
		assert_noop!(
			Credits::spend(signed(CITIZEN), account(SHOP), 10),
			Error::<Test>::InsufficientCredits
		);
		// Anyone burns it.
		assert_ok!(Credits::expire(signed(NEIGHBOUR), account(CITIZEN)));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Expired { citizen: account(CITIZEN), amount: 100 })
		);
		assert!(!Lots::<Test>::contains_key(account(CITIZEN)));
		assert_eq!(Stats::<Test>::get().expired, 100);
		// Expired credits do not go back to the issuer's quota.
		assert_eq!(Issuers::<Test>::get(account(AGENCY)).unwrap().issued_total, 100);
		assert_eq!(Credits::stats_view().outstanding, 0);
	});
}

#[test]
fn a_full_lot_list_is_an_error_not_a_panic() {
	new_test_ext().execute_with(|| {
		approve_agency();
		// Within the parameters' bounds this cannot happen; written directly here.
		let full: Vec<Lot<Balance>> =
			(0..MAX_LOTS).map(|i| Lot { expires_at: 100 + i * 10, amount: 10 }).collect();
		Lots::<Test>::insert(account(CITIZEN), BoundedVec::try_from(full).unwrap());
		assert_noop!(
			Credits::issue(signed(AGENCY), account(CITIZEN), 10, CARE, evidence(1)),
			Error::<Test>::TooManyLots
		);
	});
}

/// Enrolls `device` of `owner` with consent grant `grant`.
fn enrolled(device: u64, owner: u8, grant: u64) {
	add_device(device, &account(owner));
	consent(grant, &account(owner), device);
	assert_ok!(Credits::enroll(signed(owner), device, grant));
}

#[test]
fn enrolling_needs_the_owners_live_consent_and_a_deposit() {
	new_test_ext().execute_with(|| {
		assert_noop!(Credits::enroll(signed(CITIZEN), 1, 1), Error::<Test>::UnknownDevice);
		add_device(1, &account(CITIZEN));
		assert_noop!(Credits::enroll(signed(NEIGHBOUR), 1, 1), Error::<Test>::NotDeviceOwner);
		assert_noop!(Credits::enroll(signed(CITIZEN), 1, 1), Error::<Test>::NoConsent);
		// A consent to another holder or for another category does not count.
		consent(2, &account(NEIGHBOUR), 1);
		assert_noop!(Credits::enroll(signed(CITIZEN), 1, 2), Error::<Test>::NoConsent);
		consent(1, &account(CITIZEN), 1);
		assert_ok!(Credits::enroll(signed(CITIZEN), 1, 1));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::Enrolled { device: 1, owner: account(CITIZEN), grant: 1 })
		);
		let reason = RuntimeHoldReason::Credits(HoldReason::EnrollDeposit);
		assert_eq!(Balances::balance_on_hold(&reason, &account(CITIZEN)), ENROLL_DEPOSIT);
		assert_noop!(Credits::enroll(signed(CITIZEN), 1, 1), Error::<Test>::AlreadyEnrolled);
		add_device(2, &account(POOR));
		consent(3, &account(POOR), 2);
		assert_noop!(Credits::enroll(signed(POOR), 2, 3), Error::<Test>::CannotHoldDeposit);
		add_device(3, &account(CITIZEN));
		consent(4, &account(CITIZEN), 3);
		uncertify(3);
		assert_noop!(Credits::enroll(signed(CITIZEN), 3, 4), Error::<Test>::DeviceNotCertified);
		retire_device(3);
		assert_noop!(Credits::enroll(signed(CITIZEN), 3, 4), Error::<Test>::DeviceInactive);
	});
}

#[test]
fn readings_earn_points_up_to_the_cap_only_while_consent_lasts() {
	new_test_ext().execute_with(|| {
		enrolled(1, CITIZEN, 1);
		enrolled(2, NEIGHBOUR, 2);
		Credits::count_readings(1, 3);
		Credits::count_readings(2, 4);
		Credits::count_readings(2, 4);
		// Capped at 5 per device and period.
		assert_eq!(Credits::points_of(&account(CITIZEN), 0), 3);
		assert_eq!(Credits::points_of(&account(NEIGHBOUR), 0), 5);
		assert_eq!(RewardPools::<Test>::get(0).points, 8);
		// Devices not enrolled earn nothing.
		add_device(9, &account(CITIZEN));
		Credits::count_readings(9, 5);
		assert_eq!(RewardPools::<Test>::get(0).points, 8);
		// A device whose certification was withdrawn earns nothing, and its enrollment stays
		// (the registrar may certify it again).
		uncertify(2);
		Credits::count_readings(2, 1);
		assert_eq!(Credits::points_of(&account(NEIGHBOUR), 0), 5);
		assert_noop!(Credits::unenroll(signed(CITIZEN), 2), Error::<Test>::NotEnrollmentOwner);
		// Revoked consent: nothing more.
		revoke_consent(1, &account(CITIZEN), 1);
		Credits::count_readings(1, 1);
		assert_eq!(Credits::points_of(&account(CITIZEN), 0), 3);
		// A device given away earns nothing for the old owner, and anyone may end the
		// enrollment (the deposit goes back to the enrolling owner).
		transfer_device(2, &account(CITIZEN));
		Credits::count_readings(2, 1);
		assert_eq!(Credits::points_of(&account(NEIGHBOUR), 0), 5);
		assert_ok!(Credits::unenroll(signed(CITIZEN), 2));
		let reason = RuntimeHoldReason::Credits(HoldReason::EnrollDeposit);
		assert_eq!(Balances::balance_on_hold(&reason, &account(NEIGHBOUR)), 0);
		// A new period, a new cap.
		run_to(10);
		consent(1, &account(CITIZEN), 1);
		Credits::count_readings(1, 9);
		assert_eq!(Credits::points_of(&account(CITIZEN), 1), 5);
	});
}

#[test]
fn enrolling_again_does_not_reset_the_periods_cap() {
	new_test_ext().execute_with(|| {
		enrolled(1, CITIZEN, 1);
		Credits::count_readings(1, 5);
		assert_ok!(Credits::unenroll(signed(CITIZEN), 1));
		assert_eq!(last_event(), RuntimeEvent::Credits(Event::Unenrolled { device: 1 }));
		assert_ok!(Credits::enroll(signed(CITIZEN), 1, 1));
		Credits::count_readings(1, 5);
		assert_eq!(Credits::points_of(&account(CITIZEN), 0), 5);
	});
}

#[test]
fn only_the_owner_ends_an_enrollment_that_still_earns() {
	new_test_ext().execute_with(|| {
		assert_noop!(Credits::unenroll(signed(CITIZEN), 1), Error::<Test>::NotEnrolled);
		enrolled(1, CITIZEN, 1);
		assert_noop!(Credits::unenroll(signed(NEIGHBOUR), 1), Error::<Test>::NotEnrollmentOwner);
		// Once the consent is gone, anyone may.
		revoke_consent(1, &account(CITIZEN), 1);
		assert_ok!(Credits::unenroll(signed(NEIGHBOUR), 1));
		let reason = RuntimeHoldReason::Credits(HoldReason::EnrollDeposit);
		assert_eq!(Balances::balance_on_hold(&reason, &account(CITIZEN)), 0);
		assert!(!crate::Enrolled::<Test>::contains_key(1));
	});
}

#[test]
fn owners_claim_pro_rata_once_after_the_period_and_the_pool_is_never_overspent() {
	new_test_ext().execute_with(|| {
		enrolled(1, CITIZEN, 1);
		enrolled(2, NEIGHBOUR, 2);
		Credits::count_readings(1, 3);
		Credits::count_readings(2, 5);
		assert_noop!(Credits::fund_rewards(root(), 0, 0), Error::<Test>::BelowMinimum);
		assert_noop!(
			Credits::fund_rewards(root(), 0, MAX_FUNDING + 1),
			Error::<Test>::FundingTooLarge
		);
		assert_ok!(Credits::fund_rewards(root(), 0, 100));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::RewardsFunded { period: 0, amount: 100 })
		);
		assert_noop!(Credits::claim_reward(signed(CITIZEN), 0), Error::<Test>::PeriodNotEnded);
		run_to(10);
		assert_noop!(Credits::fund_rewards(root(), 0, 100), Error::<Test>::PeriodPast);
		assert_eq!(Credits::rewards_view(&account(CITIZEN), 0).claimable, 37);
		assert_ok!(Credits::claim_reward(signed(CITIZEN), 0));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::RewardClaimed {
				period: 0,
				owner: account(CITIZEN),
				points: 3,
				amount: 37
			})
		);
		assert_noop!(Credits::claim_reward(signed(CITIZEN), 0), Error::<Test>::NothingToClaim);
		assert_ok!(Credits::claim_reward(signed(NEIGHBOUR), 0));
		// 100 x 3/8 = 37.5 and 100 x 5/8 = 62.5, both rounded down: 1 credit is never minted.
		assert_eq!((balance(CITIZEN), balance(NEIGHBOUR)), (37, 62));
		let pool = RewardPools::<Test>::get(0);
		assert_eq!((pool.funded, pool.claimed), (100, 99));
		assert_eq!(Stats::<Test>::get().rewarded, 99);
		// Rewards expire like issued credits.
		assert_eq!(Lots::<Test>::get(account(CITIZEN))[0].expires_at, 60);
		assert_noop!(Credits::claim_reward(signed(SHOP), 0), Error::<Test>::NothingToClaim);
	});
}

#[test]
fn unclaimed_points_can_be_forgotten_after_the_claim_window() {
	new_test_ext().execute_with(|| {
		enrolled(1, CITIZEN, 1);
		Credits::count_readings(1, 2);
		assert_ok!(Credits::fund_rewards(root(), 0, 100));
		// Period 0 may be claimed in periods 1 to 3.
		run_to(30);
		assert_noop!(
			Credits::forget_points(signed(NEIGHBOUR), 0, account(CITIZEN)),
			Error::<Test>::ClaimWindowOpen
		);
		run_to(40);
		assert_noop!(Credits::claim_reward(signed(CITIZEN), 0), Error::<Test>::ClaimWindowOver);
		assert_eq!(Credits::rewards_view(&account(CITIZEN), 0).claimable, 0);
		assert_ok!(Credits::forget_points(signed(NEIGHBOUR), 0, account(CITIZEN)));
		assert_eq!(
			last_event(),
			RuntimeEvent::Credits(Event::PointsForgotten {
				period: 0,
				owner: account(CITIZEN),
				points: 2
			})
		);
		assert_noop!(
			Credits::forget_points(signed(NEIGHBOUR), 0, account(CITIZEN)),
			Error::<Test>::NothingToClaim
		);
	});
}

#[test]
fn the_genesis_config_and_bounds_hold() {
	new_test_ext().execute_with(|| {
		Credits::integrity_test();
		assert_eq!(crate::DeedCount::<Test>::get(), 3);
		assert!(Credits::enrollment_storage_bytes() > 0);
	});
}

mod conservation {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Issue { to: u8, amount: Balance },
		Spend { from: u8, to: u8, amount: Balance },
		Refund { by: u8, to: u8, amount: Balance },
		Redeem { by: u8, amount: Balance },
		Expire { of: u8 },
		Readings { device: u64, count: u32 },
		Fund { ahead: u32, amount: Balance },
		Claim { by: u8, back: u32 },
		Advance { blocks: u64 },
	}

	const CITIZENS: [u8; 2] = [CITIZEN, NEIGHBOUR];
	const SHOPS: [u8; 2] = [SHOP, CAFE];

	fn op() -> impl Strategy<Value = Op> {
		let who = prop::sample::select(CITIZENS.to_vec());
		let shop = prop::sample::select(SHOPS.to_vec());
		prop_oneof![
			(who.clone(), 0..400u128).prop_map(|(to, amount)| Op::Issue { to, amount }),
			(who.clone(), shop.clone(), 0..300u128).prop_map(|(from, to, amount)| Op::Spend {
				from,
				to,
				amount
			}),
			(shop.clone(), who.clone(), 0..200u128).prop_map(|(by, to, amount)| Op::Refund {
				by,
				to,
				amount
			}),
			(shop, 0..200u128).prop_map(|(by, amount)| Op::Redeem { by, amount }),
			who.clone().prop_map(|of| Op::Expire { of }),
			(1..3u64, 0..8u32).prop_map(|(device, count)| Op::Readings { device, count }),
			(0..2u32, 0..500u128).prop_map(|(ahead, amount)| Op::Fund { ahead, amount }),
			(who, 1..3u32).prop_map(|(by, back)| Op::Claim { by, back }),
			(1..25u64).prop_map(|blocks| Op::Advance { blocks }),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(200))]

		/// Whatever happens: credits issued and rewarded = lots held (expired or not) +
		/// merchants' balances + redeemed + expired; no pool pays out more than it was funded;
		/// enrollment deposits stay held.
		#[test]
		fn credits_are_conserved_and_pools_never_overspent(ops in prop::collection::vec(op(), 1..60)) {
			new_test_ext().execute_with(|| {
				assert_ok!(Credits::set_issuer(
					root(),
					account(AGENCY),
					name("Food bank"),
					2_000,
					vec![CARE].try_into().unwrap(),
					true,
				));
				approve_shop(SHOP);
				approve_shop(CAFE);
				enrolled(1, CITIZEN, 1);
				enrolled(2, NEIGHBOUR, 2);
				let mut block = 1u64;
				for op in ops {
					let period = (block / 10) as u32;
					// Failing calls change nothing (checked by the totals below).
					let _ = match op {
						Op::Issue { to, amount } =>
							Credits::issue(signed(AGENCY), account(to), amount, CARE, evidence(1)),
						Op::Spend { from, to, amount } =>
							Credits::spend(signed(from), account(to), amount),
						Op::Refund { by, to, amount } =>
							Credits::refund(signed(by), account(to), amount),
						Op::Redeem { by, amount } => Credits::redeem(signed(by), amount),
						Op::Expire { of } => Credits::expire(signed(AGENCY), account(of)),
						Op::Readings { device, count } => {
							Credits::count_readings(device, count);
							Ok(())
						},
						Op::Fund { ahead, amount } =>
							Credits::fund_rewards(root(), period + ahead, amount),
						Op::Claim { by, back } =>
							Credits::claim_reward(signed(by), period.saturating_sub(back)),
						Op::Advance { blocks } => {
							block += blocks;
							run_to(block);
							Ok(())
						},
					};
					let stats = Stats::<Test>::get();
					let lots: Balance = Lots::<Test>::iter_values()
						.flat_map(|lots| lots.into_inner())
						.map(|lot| lot.amount)
						.sum();
					let shops: Balance = Merchants::<Test>::iter_values().map(|m| m.balance).sum();
					prop_assert_eq!(
						stats.issued + stats.rewarded,
						lots + shops + stats.redeemed + stats.expired
					);
					for (_, pool) in RewardPools::<Test>::iter() {
						prop_assert!(pool.claimed <= pool.funded);
					}
					let reason = RuntimeHoldReason::Credits(HoldReason::EnrollDeposit);
					for n in CITIZENS {
						prop_assert_eq!(Balances::balance_on_hold(&reason, &account(n)), ENROLL_DEPOSIT);
					}
				}
				Ok(())
			})?;
		}
	}
}
