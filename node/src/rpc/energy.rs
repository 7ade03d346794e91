//! `city_energySchedule`, `city_energyMarket`, `city_energyOrders`, `city_energyQuote`: the
//! energy market's runtime API over JSON-RPC. Amounts are decimal strings in the smallest
//! unit (u128 does not fit JSON numbers); energy is in Wh; prices are per kWh.

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_energy_market::{
	runtime_api::{EnergyMarketApi, MarketView, OrderView, QuoteError},
	settlement::Phase,
	Clearing, Marginal, MarketParams, MarketStatus, Side, SlotIndex,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};

use super::{
	errors::{self, invalid_param, not_found},
	params,
};

/// The runtime API's name, in errors.
const API: &str = "EnergyMarketApi";

/// The market parameters in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamsJson {
	/// Blocks per slot.
	pub slot_blocks: BlockNumber,
	/// Orders for a slot close this many blocks before it starts.
	pub gate_closure_blocks: BlockNumber,
	/// Lowest price per kWh (the feed-in tariff).
	pub price_floor: String,
	/// Highest price per kWh (the retail tariff).
	pub price_cap: String,
	/// Price step.
	pub tick_size: String,
	/// Bond an ask holds per kWh offered.
	pub ask_bond_per_kwh: String,
	/// Penalty per kWh allocated and not delivered.
	pub penalty_per_kwh: String,
	/// Grid fee per kWh consumed, to the city treasury.
	pub grid_fee_per_kwh: String,
	/// Blocks after a slot during which its meter readings may arrive.
	pub settlement_deadline_blocks: BlockNumber,
}

fn params_json(p: &MarketParams<Balance, BlockNumber>) -> ParamsJson {
	ParamsJson {
		slot_blocks: p.slot_blocks,
		gate_closure_blocks: p.gate_closure_blocks,
		price_floor: p.price_floor.to_string(),
		price_cap: p.price_cap.to_string(),
		tick_size: p.tick_size.to_string(),
		ask_bond_per_kwh: p.ask_bond_per_kwh.to_string(),
		penalty_per_kwh: p.penalty_per_kwh.to_string(),
		grid_fee_per_kwh: p.grid_fee_per_kwh.to_string(),
		settlement_deadline_blocks: p.settlement_deadline_blocks,
	}
}

/// The answer of `city_energySchedule`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleJson {
	/// The block answered at (hash).
	pub at: String,
	/// The current parameters.
	pub params: ParamsJson,
	/// The slot the block is in.
	pub current_slot: SlotIndex,
	/// The first slot that still takes orders.
	pub next_open_slot: SlotIndex,
}

/// One price tick with depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickJson {
	/// The tick (0 is the floor).
	pub tick: u16,
	/// Its price per kWh.
	pub price: String,
	/// Wh bid at exactly this price.
	pub bid_wh: u64,
	/// Wh offered at exactly this price.
	pub ask_wh: u64,
}

/// Where one side of the market was cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarginalJson {
	/// The marginal tick: better orders are filled in full, worse ones not at all.
	pub tick: u16,
	/// Wh filled at the marginal tick.
	pub filled_wh: u64,
	/// Wh ordered at the marginal tick (shared pro rata, rounded down).
	pub offered_wh: u64,
}

fn marginal_json(m: &Marginal) -> MarginalJson {
	MarginalJson { tick: m.tick, filled_wh: m.filled_wh, offered_wh: m.offered_wh }
}

/// A clearing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearingJson {
	/// The clearing tick.
	pub tick: u16,
	/// The clearing price per kWh.
	pub price: String,
	/// Wh traded.
	pub volume_wh: u64,
	/// The bid side's cut.
	pub bids: MarginalJson,
	/// The ask side's cut.
	pub asks: MarginalJson,
}

fn clearing_json(c: &Clearing, price: Balance) -> ClearingJson {
	ClearingJson {
		tick: c.tick,
		price: price.to_string(),
		volume_wh: c.volume_wh,
		bids: marginal_json(&c.bids),
		asks: marginal_json(&c.asks),
	}
}

/// Settlement progress and totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementJson {
	/// `metering`, `collecting`, `distributing` or `done`.
	pub phase: String,
	/// Orders processed in this phase.
	pub processed: u32,
	/// Wh the sellers delivered.
	pub delivered_wh: u64,
	/// Wh the buyers consumed.
	pub consumed_wh: u64,
	/// Wh that moved through the market.
	pub energy_wh: u64,
	/// Wh buyers consumed beyond their share (compensated from penalties).
	pub shortfall_wh: u64,
	/// What buyers paid for energy.
	pub collected: String,
	/// What sellers were paid.
	pub paid_out: String,
	/// Grid fees to the treasury.
	pub fees: String,
	/// Penalties sellers forfeited (energy allocated and not delivered).
	pub penalties: String,
	/// Penalties paid to buyers.
	pub compensated: String,
	/// Penalties buyers forfeited for allocations they did not take (paid to sellers with
	/// unsold energy).
	pub unconsumed_penalties: String,
}

fn phase_name(phase: Phase) -> &'static str {
	match phase {
		Phase::Metering => "metering",
		Phase::Collecting => "collecting",
		Phase::Distributing => "distributing",
		Phase::Done => "done",
	}
}

/// The answer of `city_energyMarket`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketJson {
	/// The zone.
	pub zone: u32,
	/// The slot.
	pub slot: SlotIndex,
	/// The block answered at (hash).
	pub at: String,
	/// `noOrders` (no order opened it yet), `open`, `cleared` or `noTrade`.
	pub status: String,
	/// Whether orders are taken now.
	pub taking_orders: bool,
	/// The slot's first block.
	pub slot_start_block: BlockNumber,
	/// The block its gate closes (and it clears) at.
	pub gate_closure_block: BlockNumber,
	/// The first block after the slot (once opened).
	pub slot_end_block: Option<BlockNumber>,
	/// After this block missing readings no longer hold settlement up (once opened).
	pub settlement_deadline_block: Option<BlockNumber>,
	/// The chain's time at the slot's first block, Unix ms, once reached.
	pub start_ms: Option<u64>,
	/// The chain's time at the first block after the slot, once reached.
	pub end_ms: Option<u64>,
	/// Orders placed and not cancelled.
	pub orders: u32,
	/// The grid's floor price per kWh (once opened).
	pub price_floor: Option<String>,
	/// The grid's price step (once opened).
	pub tick_size: Option<String>,
	/// The grid's number of ticks (once opened).
	pub ticks: Option<u16>,
	/// Ticks with depth, lowest first (ticks without are left out).
	pub depth: Vec<TickJson>,
	/// The clearing, once cleared.
	pub clearing: Option<ClearingJson>,
	/// The market's bond, penalty and grid fee per kWh (once opened).
	pub ask_bond_per_kwh: Option<String>,
	/// Penalty per kWh not delivered.
	pub penalty_per_kwh: Option<String>,
	/// Grid fee per kWh consumed.
	pub grid_fee_per_kwh: Option<String>,
	/// Settlement progress (once opened).
	pub settlement: Option<SettlementJson>,
}

fn market_json(
	zone: u32,
	slot: SlotIndex,
	at: H256,
	view: MarketView<Balance, BlockNumber>,
) -> MarketJson {
	let market = view.market.as_ref();
	let price_at = |tick: u16| -> Balance {
		market
			.map(|m| {
				m.grid.floor.saturating_add(m.grid.tick_size.saturating_mul(Balance::from(tick)))
			})
			.unwrap_or_default()
	};
	let status = match market.map(|m| m.status) {
		None => "noOrders",
		Some(MarketStatus::Open) => "open",
		Some(MarketStatus::Cleared(_)) => "cleared",
		Some(MarketStatus::NoTrade) => "noTrade",
	};
	MarketJson {
		zone,
		slot,
		at: format!("{at:?}"),
		status: status.into(),
		taking_orders: view.taking_orders,
		slot_start_block: view.slot_start,
		gate_closure_block: view.gate_closure,
		slot_end_block: market.map(|m| m.slot_end),
		settlement_deadline_block: market.map(|m| m.deadline),
		start_ms: market.and_then(|m| m.start_ms),
		end_ms: market.and_then(|m| m.end_ms),
		orders: market.map(|m| m.orders).unwrap_or(0),
		price_floor: market.map(|m| m.grid.floor.to_string()),
		tick_size: market.map(|m| m.grid.tick_size.to_string()),
		ticks: market.map(|m| m.grid.ticks),
		depth: (0u16..)
			.zip(view.depth.iter())
			.filter(|(_, d)| d.bid_wh > 0 || d.ask_wh > 0)
			.map(|(tick, d)| TickJson {
				tick,
				price: price_at(tick).to_string(),
				bid_wh: d.bid_wh,
				ask_wh: d.ask_wh,
			})
			.collect(),
		clearing: market.and_then(|m| match m.status {
			MarketStatus::Cleared(c) => Some(clearing_json(&c, price_at(c.tick))),
			_ => None,
		}),
		ask_bond_per_kwh: market.map(|m| m.fees.ask_bond_per_kwh.to_string()),
		penalty_per_kwh: market.map(|m| m.fees.penalty_per_kwh.to_string()),
		grid_fee_per_kwh: market.map(|m| m.fees.grid_fee_per_kwh.to_string()),
		settlement: market.map(|m| {
			let s = &m.settlement;
			SettlementJson {
				phase: phase_name(s.phase).into(),
				processed: s.processed,
				delivered_wh: s.delivered_wh,
				consumed_wh: s.consumed_wh,
				energy_wh: s.energy_wh,
				shortfall_wh: s.shortfall_wh,
				collected: s.collected.to_string(),
				paid_out: s.paid_out.to_string(),
				fees: s.fees.to_string(),
				penalties: s.penalties.to_string(),
				compensated: s.compensated.to_string(),
				unconsumed_penalties: s.unconsumed_penalties.to_string(),
			}
		}),
	}
}

/// An order in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderJson {
	/// Its id.
	pub id: u64,
	/// Who placed it (SS58).
	pub owner: String,
	/// The market's zone.
	pub zone: u32,
	/// The market's slot.
	pub slot: SlotIndex,
	/// `bid` or `ask`.
	pub side: String,
	/// Its price per kWh.
	pub price: String,
	/// Its quantity, Wh.
	pub quantity_wh: u64,
	/// The meter that settles it.
	pub meter: u64,
	/// What it holds (escrow or bond) until settled.
	pub held: String,
	/// `open` (taking part in the auction), `closed` (the market cleared, or did not trade;
	/// settlement pending) or `settled`.
	pub status: String,
	/// The market's clearing price, once cleared.
	pub clearing_price: Option<String>,
	/// Wh the clearing allocated it, once the market closed (`null` while open).
	pub allocated_wh: Option<u64>,
	/// Its allocation as settlement recorded it, Wh (0 until settlement meters it).
	pub filled_wh: u64,
	/// Delivered or consumed by its meter, at most the allocation, Wh.
	pub metered_wh: u64,
	/// Its share of the energy that moved through the market, Wh.
	pub energy_wh: u64,
	/// Paid for energy (a bid).
	pub paid: String,
	/// Received (an ask).
	pub received: String,
	/// Grid fee paid (a bid).
	pub fee: String,
	/// Penalty forfeited: an ask's for energy not delivered, a bid's for energy not taken.
	pub penalty: String,
	/// Compensation received for a shortfall (a bid).
	pub compensation: String,
	/// Whether its meter's readings were missing at the deadline (the deadline rule applied).
	pub deemed: bool,
}

fn side_name(side: Side) -> &'static str {
	match side {
		Side::Bid => "bid",
		Side::Ask => "ask",
	}
}

fn order_json(view: OrderView<AccountId, Balance>) -> OrderJson {
	let OrderView { id, order, price, clearing_price, closed, allocated_wh } = view;
	let outcome = order.outcome;
	let status = if outcome.settled {
		"settled"
	} else if closed {
		"closed"
	} else {
		"open"
	};
	OrderJson {
		id,
		owner: order.owner.to_ss58check(),
		zone: order.zone,
		slot: order.slot,
		side: side_name(order.side).into(),
		price: price.to_string(),
		quantity_wh: order.quantity_wh,
		meter: order.meter,
		held: order.held.to_string(),
		status: status.into(),
		clearing_price: clearing_price.map(|p| p.to_string()),
		allocated_wh,
		filled_wh: outcome.filled_wh,
		metered_wh: outcome.metered_wh,
		energy_wh: outcome.energy_wh,
		paid: outcome.paid.to_string(),
		received: outcome.received.to_string(),
		fee: outcome.fee.to_string(),
		penalty: outcome.penalty.to_string(),
		compensation: outcome.compensation.to_string(),
		deemed: outcome.deemed,
	}
}

/// The answer of `city_energyOrders`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersJson {
	/// The account (SS58).
	pub account: String,
	/// The block answered at (hash).
	pub at: String,
	/// Its orders still in storage, oldest first.
	pub orders: Vec<OrderJson>,
}

/// The answer of `city_energyQuote`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
	/// The zone.
	pub zone: u32,
	/// The slot.
	pub slot: SlotIndex,
	/// `bid` or `ask`.
	pub side: String,
	/// The quantity asked about, Wh.
	pub quantity_wh: u64,
	/// The block answered at (hash).
	pub at: String,
	/// The clearing price per kWh with the order in the book (`null`: nothing would trade).
	pub price: Option<String>,
	/// The clearing with the order in the book.
	pub clearing: Option<ClearingJson>,
	/// Wh the order would be allocated.
	pub filled_wh: u64,
}

fn parse_side(side: &str) -> Result<Side, String> {
	match side {
		"bid" => Ok(Side::Bid),
		"ask" => Ok(Side::Ask),
		_ => Err(format!("side must be \"bid\" or \"ask\", got {}", params::shown(side))),
	}
}

/// The energy market's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityEnergyApi {
	/// The market parameters, the slot of block `at` (default: best) and the first slot that
	/// still takes orders.
	#[method(name = "energySchedule")]
	fn energy_schedule(&self, at: Option<H256>) -> RpcResult<ScheduleJson>;

	/// The market of `zone` in `slot`: status, slot blocks and times, per-tick depth, clearing
	/// price and volume, settlement progress; a slot without orders yet answers `noOrders`.
	#[method(name = "energyMarket")]
	fn energy_market(&self, zone: u32, slot: SlotIndex, at: Option<H256>) -> RpcResult<MarketJson>;

	/// The orders of `account` (SS58 or 0x hex) still in storage: open, closed and settled ones
	/// with fills, payments, penalties.
	#[method(name = "energyOrders")]
	fn energy_orders(&self, account: String, at: Option<H256>) -> RpcResult<OrdersJson>;

	/// The price a new order of `quantityWh` on `side` (`bid` or `ask`) in `zone`'s market of
	/// `slot` would clear at now, and what it would be allocated (placed at the cap for a bid,
	/// at the floor for an ask).
	#[method(name = "energyQuote")]
	fn energy_quote(
		&self,
		zone: u32,
		slot: SlotIndex,
		side: String,
		quantity_wh: u64,
		at: Option<H256>,
	) -> RpcResult<QuoteJson>;
}

/// Implementation of [`CityEnergyApiServer`] over a client.
pub struct CityEnergy<C> {
	client: Arc<C>,
}

impl<C> CityEnergy<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityEnergy<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: EnergyMarketApi<Block, AccountId, Balance, BlockNumber>,
{
	/// The block to query, checking that its runtime has the API.
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn EnergyMarketApi<Block, AccountId, Balance, BlockNumber>>(
			&*self.client,
			at,
			API,
			None,
		)
	}
}

impl<C> CityEnergyApiServer for CityEnergy<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: EnergyMarketApi<Block, AccountId, Balance, BlockNumber>,
{
	fn energy_schedule(&self, at: Option<H256>) -> RpcResult<ScheduleJson> {
		let at = self.at(at)?;
		let (params, current_slot, next_open_slot) = self
			.client
			.runtime_api()
			.schedule(at)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| not_found("the energy market is closed: no parameters are set"))?;
		Ok(ScheduleJson {
			at: format!("{at:?}"),
			params: params_json(&params),
			current_slot,
			next_open_slot,
		})
	}

	fn energy_market(&self, zone: u32, slot: SlotIndex, at: Option<H256>) -> RpcResult<MarketJson> {
		let at = self.at(at)?;
		let view = self
			.client
			.runtime_api()
			.market(at, zone, slot)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| {
				not_found(format!(
					"no market of zone {zone} in slot {slot}: the market is closed, the slot is \
					 before the current slot numbering, or its market has left storage"
				))
			})?;
		Ok(market_json(zone, slot, at, view))
	}

	fn energy_orders(&self, account: String, at: Option<H256>) -> RpcResult<OrdersJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let orders =
			self.client.runtime_api().orders(at, account.clone()).map_err(errors::runtime_error)?;
		Ok(OrdersJson {
			account: account.to_ss58check(),
			at: format!("{at:?}"),
			orders: orders.into_iter().map(order_json).collect(),
		})
	}

	fn energy_quote(
		&self,
		zone: u32,
		slot: SlotIndex,
		side: String,
		quantity_wh: u64,
		at: Option<H256>,
	) -> RpcResult<QuoteJson> {
		let parsed = parse_side(&side).map_err(invalid_param)?;
		let at = self.at(at)?;
		let quote = self
			.client
			.runtime_api()
			.quote(at, zone, slot, parsed, quantity_wh)
			.map_err(errors::runtime_error)?
			.map_err(|e| match e {
				QuoteError::MarketClosed => {
					not_found("the energy market is closed: no parameters are set")
				}
				QuoteError::GateClosed => errors::error(
					errors::GATE_CLOSED,
					format!("slot {slot}'s gate has closed in zone {zone}: it takes no orders"),
				),
				QuoteError::SlotTooFarAhead => {
					invalid_param(format!("slot {slot} is further ahead than orders may be placed"))
				}
				QuoteError::BadQuantity => invalid_param(format!(
					"quantityWh {quantity_wh} is outside the order size bounds (the pallet's \
					 MinOrderWh and MaxOrderWh constants)"
				)),
			})?;
		let price = quote.price;
		Ok(QuoteJson {
			zone,
			slot,
			side,
			quantity_wh,
			at: format!("{at:?}"),
			price: price.map(|p| p.to_string()),
			clearing: quote.clearing.as_ref().zip(price).map(|(c, p)| clearing_json(c, p)),
			filled_wh: quote.filled_wh,
		})
	}
}
