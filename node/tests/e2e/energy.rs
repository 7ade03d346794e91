//! End-to-end: two prosumers and two consumers trade one energy market slot on the running dev
//! node of the attestation scenario (no node of its own), through the simulator's agents
//! ([`city_sim::energy`]): orders signed by their accounts, meter counters signed by the
//! meters' keys outside the node (ed25519-dalek) and attested fee-less at the slot's
//! boundaries, settlement by a third account. One seller under-delivers. Every balance, the
//! treasury's grid fee and the penalty must match the market's rules to the unit.

use std::time::Duration;

use city_sim::{
	energy::{self, AgentSpec, Side},
	Client, Options,
};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

/// A milli-CITY in the smallest unit (12 decimals).
const MILLI: u128 = 1_000_000_000;

fn dev(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

fn account(pair: &sr25519::Pair) -> citychain_runtime::AccountId {
	pair.public().into()
}

/// The trade, on the dev node behind `client` (test presets: slots of 10 blocks, prices from
/// 0.070 to 0.300 CITY per kWh in steps of 0.002, bond and penalty 0.100, grid fee 0.020).
pub fn two_prosumers_and_two_consumers_trade_a_slot(client: &Client, rpc_port: u16) {
	let options = Options {
		resubmit_after: Duration::from_secs(12),
		timeout: Duration::from_secs(300),
		verbose: true,
		..Options::default()
	};
	let (bob, charlie, dave, eve) = (dev("Bob"), dev("Charlie"), dev("Dave"), dev("Eve"));
	let settler = dev("Ferdie");
	// Bob offers 2 kWh at 0.080 and delivers 60% of what he is allocated; Charlie offers 1 kWh
	// at 0.100; Dave bids for 1.5 kWh at up to 0.200, Eve for 1 kWh at up to 0.150.
	let spec = |who: &sr25519::Pair, side, price, quantity_wh, metered_percent| AgentSpec {
		account: who.clone(),
		side,
		price,
		quantity_wh,
		metered_percent,
	};
	let specs = vec![
		spec(&bob, Side::Ask, 80 * MILLI, 2_000, 60),
		spec(&charlie, Side::Ask, 100 * MILLI, 1_000, 100),
		spec(&dave, Side::Bid, 200 * MILLI, 1_500, 100),
		spec(&eve, Side::Bid, 150 * MILLI, 1_000, 100),
	];
	let mut agents = energy::register_agents(
		client,
		specs,
		"e2e-energy",
		1,
		&city_sim::governance::Authority::sudo(dev("Alice")),
		&options,
	)
	.unwrap();
	let treasury = citychain_runtime::configs::CityTreasuryAccount::get();
	let market_account: citychain_runtime::AccountId = {
		use sp_runtime::traits::AccountIdConversion;
		citychain_runtime::configs::city::EnergyMarketPalletId::get().into_account_truncating()
	};
	let everyone: Vec<citychain_runtime::AccountId> =
		[&bob, &charlie, &dave, &eve, &settler].into_iter().map(account).collect();
	let snapshot = || {
		let (head, _) = finalized(rpc_port).unwrap();
		everyone
			.iter()
			.chain([&treasury, &market_account])
			.map(|who| {
				let info = account_info(rpc_port, who, head).map(|i| i.data);
				info.map_or((0, 0), |data| (data.free, data.reserved))
			})
			.collect::<Vec<(u128, u128)>>()
	};
	let before = snapshot();

	let report = energy::trade_slot(client, &mut agents, 1, &settler, &options).unwrap();
	println!("FIGURE energy e2e slot: {}", report.to_json());
	let after = snapshot();

	// The clearing. Supply: 2,000 Wh from 0.080, 3,000 from 0.100. Demand: 2,500 Wh up to
	// 0.150, 1,500 up to 0.200. The volume is largest, 2,500 Wh, at every price from 0.100 to
	// 0.150, with the same imbalance (500): the lowest, 0.100, clears. Bob is allocated all
	// 2,000 Wh, Charlie 500 of his 1,000 (the marginal tick), Dave and Eve all they bid for.
	assert_eq!(report.clearing_price, Some(100 * MILLI));
	assert_eq!(report.volume_wh, 2_500);
	let allocated: Vec<u64> = report.agents.iter().map(|a| a.allocated_wh).collect();
	assert_eq!(allocated, vec![2_000, 500, 1_500, 1_000]);
	// Metering: Bob exported 1,200 Wh (60%), Charlie 500; Dave imported 1,500, Eve 1,000. The
	// energy that moved is min(1,700 delivered, 2,500 consumed) = 1,700 Wh. Buyers share it by
	// consumption: Dave 1,500 x 1,700 / 2,500 = 1,020 Wh, Eve 680 Wh.
	let metered: Vec<u64> = report.agents.iter().map(|a| a.metered_wh).collect();
	assert_eq!(metered, vec![1_200, 500, 1_500, 1_000]);
	assert_eq!(report.energy_wh, 1_700);
	let energy_wh: Vec<u64> = report.agents.iter().map(|a| a.energy_wh).collect();
	assert_eq!(energy_wh, vec![1_200, 500, 1_020, 680]);
	// Money, in milli-CITY:
	// - Dave pays 0.100 x 1.020 = 102.0 and the grid fee 0.020 x 1.020 = 20.4; Eve 68.0 and
	//   13.6. The treasury gets 34.0 of grid fees.
	// - Bob forfeits the penalty 0.100 x 0.8 kWh missing = 80.0 from his bond.
	// - Sellers share the 170.0 paid by delivery: Bob 170 x 1,200 / 1,700 = 120.0, Charlie 50.0.
	// - Buyers left short (Dave 480 Wh, Eve 320 Wh) share the 80.0 penalty: 48.0 and 32.0.
	let money =
		|a: &energy::AgentOutcome| (a.paid, a.grid_fee, a.received, a.penalty, a.compensation);
	let m = |x: u128| x * MILLI / 10;
	assert_eq!(money(&report.agents[0]), (0, 0, m(1_200), m(800), 0));
	assert_eq!(money(&report.agents[1]), (0, 0, m(500), 0, 0));
	assert_eq!(money(&report.agents[2]), (m(1_020), m(204), 0, 0, m(480)));
	assert_eq!(money(&report.agents[3]), (m(680), m(136), 0, 0, m(320)));
	assert_eq!((report.grid_fees, report.penalties, report.compensated), (m(340), m(800), m(800)));

	// Every balance, to the unit: each trader's free balance moved by its outcome and the
	// transaction fee of its order, the settler's by its settle calls' fees; every hold the
	// market took is released (reserved balances are back to the meters' deposits); the
	// treasury got the grid fees and every transaction fee; the market account keeps only its
	// existential deposit.
	let changes: [i128; 4] = [
		(m(1_200) as i128) - (m(800) as i128),
		m(500) as i128,
		(m(480) as i128) - (m(1_020) as i128) - (m(204) as i128),
		(m(320) as i128) - (m(680) as i128) - (m(136) as i128),
	];
	for (i, change) in changes.iter().enumerate() {
		let fee = report.agents[i].transaction_fee as i128;
		assert!(fee > 0, "an order pays a transaction fee");
		assert_eq!(report.agents[i].balance_change(), change - fee, "agent {i}");
		assert_eq!(
			after[i].0 as i128 - before[i].0 as i128,
			change - fee,
			"agent {i}'s free balance"
		);
		assert_eq!(after[i].1, before[i].1, "agent {i}'s reserved balance");
	}
	assert_eq!(after[4].0, before[4].0 - report.settle_fees, "the settler pays its fees only");
	assert_eq!(after[5].0, before[5].0 + m(340) + report.transaction_fees, "the treasury");
	assert_eq!(after[6].0, before[6].0, "the market account keeps its existential deposit");
	assert_eq!(after[6].0, citychain_runtime::EXISTENTIAL_DEPOSIT);
	// The market says the same.
	let market = rpc(rpc_port, "city_energyMarket", json!([1, report.slot])).unwrap();
	assert_eq!(market["status"], json!("cleared"));
	assert_eq!(market["settlement"]["phase"], json!("done"));
	assert_eq!(market["clearing"]["price"], json!((100 * MILLI).to_string()));
}
