//! Runtime API of the energy market, wrapped by the node's `city_energyMarket`,
//! `city_energyOrders` and `city_energyQuote` JSON-RPC methods.

use alloc::vec::Vec;
use city_primitives::ZoneId;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

use crate::{Clearing, Market, MarketParams, Order, OrderId, Side, SlotIndex, TickDepth};

/// Most orders `orders` returns: the account's newest.
pub const MAX_ORDERS_VIEW: u32 = 256;

/// A market (or the slot of a market that has no order yet) as `city_energyMarket` shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct MarketView<Balance, BlockNumber> {
	/// The slot's first block (under the current slot numbering).
	pub slot_start: BlockNumber,
	/// The block its gate closes at.
	pub gate_closure: BlockNumber,
	/// Whether orders are taken now (before gate closure, and not too far ahead).
	pub taking_orders: bool,
	/// The market, once an order opened it (`None`: no order yet).
	pub market: Option<Market<Balance, BlockNumber>>,
	/// Wh bid and offered per tick (tick 0 first), if the market exists.
	pub depth: Vec<TickDepth>,
	/// The clearing price per kWh, once cleared.
	pub clearing_price: Option<Balance>,
}

/// An order with its id and price, as `city_energyOrders` shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct OrderView<AccountId, Balance> {
	/// Its id.
	pub id: OrderId,
	/// The order and its settlement outcome so far.
	pub order: Order<AccountId, Balance>,
	/// Its price per kWh.
	pub price: Balance,
	/// The market's clearing price, once cleared (`None` before, or if it did not trade).
	pub clearing_price: Option<Balance>,
	/// Whether the market has cleared (or closed without trade).
	pub closed: bool,
	/// Wh the clearing allocated it, once the market closed (settlement then delivers at most
	/// this much).
	pub allocated_wh: Option<u64>,
}

/// What an order of `quantity_wh` at the most accommodating price (a bid at the cap, an ask at
/// the floor) would clear at if the market cleared now.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Quote<Balance> {
	/// The clearing with the order added (`None`: nothing would trade).
	pub clearing: Option<Clearing>,
	/// Its price per kWh.
	pub price: Option<Balance>,
	/// Wh the new order would be allocated.
	pub filled_wh: u64,
}

/// Why there is no quote.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum QuoteError {
	/// No market parameters are set.
	MarketClosed,
	/// The slot's gate has closed (or the slot is past).
	GateClosed,
	/// The slot is further ahead than orders may be placed.
	SlotTooFarAhead,
	/// The quantity is outside the order size bounds.
	BadQuantity,
}

sp_api::decl_runtime_apis! {
	/// Queries of the energy market.
	pub trait EnergyMarketApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The market parameters, the current slot and the next slot that takes orders
		/// (`None` while the market is closed).
		fn schedule() -> Option<(MarketParams<Balance, BlockNumber>, SlotIndex, SlotIndex)>;

		/// The market of `zone` in `slot` with its depth, clearing and settlement progress;
		/// `None` if there is neither a market nor a slot (closed, or a slot before the current
		/// numbering).
		fn market(zone: ZoneId, slot: SlotIndex) -> Option<MarketView<Balance, BlockNumber>>;

		/// The newest [`MAX_ORDERS_VIEW`] orders of `account` still in storage (open, closed,
		/// settled within the retention), oldest first.
		fn orders(account: AccountId) -> Vec<OrderView<AccountId, Balance>>;

		/// What a new order of `quantity_wh` on `side` in `zone`'s market of `slot` would
		/// clear at now.
		fn quote(zone: ZoneId, slot: SlotIndex, side: Side, quantity_wh: u64) -> Result<Quote<Balance>, QuoteError>;
	}
}
