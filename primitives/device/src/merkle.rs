//! Merkle batches: `binary-merkle-tree`'s layout with blake2-256.
//!
//! 1. leaf hash = `blake2_256(SCALE(reading))`, leaves in batch order;
//! 2. parent = `blake2_256(left ++ right)`;
//! 3. an odd node out at the end of a level moves up unchanged;
//! 4. the root is the single node left (one reading: its leaf hash).
//!
//! A proof is the sibling hashes from the leaf up; promoted levels contribute none. A reading
//! encodes to 34 to 38 bytes, never 64, so no inner node can be passed off as a leaf.

use crate::{Reading, H256};
use alloc::vec::Vec;
use codec::Encode;

/// blake2-256 as the `hash-db` hasher `binary-merkle-tree` takes (the same hash as
/// `sp_runtime::traits::BlakeTwo256`, without sp-io).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Blake2Hasher;

impl hash_db::Hasher for Blake2Hasher {
	type Out = H256;
	type StdHasher = hash256_std_hasher::Hash256StdHasher;
	const LENGTH: usize = 32;

	fn hash(data: &[u8]) -> H256 {
		H256(crate::blake2_256(data))
	}
}

/// The Merkle root of `readings`, in order: what [`crate::BatchAnchor::root`] carries.
/// (An empty batch has the zero root; the chain refuses empty batches.)
pub fn merkle_root(readings: &[Reading]) -> H256 {
	binary_merkle_tree::merkle_root::<Blake2Hasher, _>(readings.iter().map(Encode::encode))
}

/// The proof that `readings[leaf_index]` is in the batch: the sibling hashes from the leaf up,
/// as `city_verifyReading` takes them. `None` if there is no such leaf.
pub fn merkle_proof(readings: &[Reading], leaf_index: u32) -> Option<Vec<H256>> {
	let index = usize::try_from(leaf_index).ok()?;
	if index >= readings.len() || u32::try_from(readings.len()).is_err() {
		return None;
	}
	let leaves: Vec<Vec<u8>> = readings.iter().map(Encode::encode).collect();
	Some(binary_merkle_tree::merkle_proof::<Blake2Hasher, _, _>(leaves, leaf_index).proof)
}

/// How many sibling hashes the proof of leaf `leaf_index` in a `count`-leaf tree has: one per
/// level, but none where the node is the odd one out at the end of its level (promoted).
pub fn proof_len(count: u32, leaf_index: u32) -> usize {
	let (mut width, mut position, mut len) = (count, leaf_index, 0);
	while width > 1 {
		let promoted = width % 2 == 1 && position == width - 1;
		if !promoted {
			len += 1;
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	len
}

/// Whether `proof` shows `reading` is leaf `leaf_index` of the `count`-leaf tree with `root`.
/// The proof must have exactly the length of that leaf's path: `binary-merkle-tree` alone
/// would accept the last leaf's short proof at another index.
pub fn verify_inclusion(
	root: &H256,
	count: u32,
	leaf_index: u32,
	reading: &Reading,
	proof: &[H256],
) -> bool {
	verify_leaf(root, count, leaf_index, &reading.encode(), proof)
}

/// The same layout over any leaves (their bytes, in order), e.g. the data-access pallet's log
/// entries: the Merkle root.
pub fn merkle_root_of<L: AsRef<[u8]>>(leaves: impl IntoIterator<Item = L>) -> H256 {
	binary_merkle_tree::merkle_root::<Blake2Hasher, _>(leaves)
}

/// The proof of leaf `leaf_index` among `leaves` (see [`merkle_root_of`]); `None` if there is
/// no such leaf.
pub fn merkle_proof_of<L: AsRef<[u8]> + Clone>(leaves: &[L], leaf_index: u32) -> Option<Vec<H256>> {
	let index = usize::try_from(leaf_index).ok()?;
	if index >= leaves.len() || u32::try_from(leaves.len()).is_err() {
		return None;
	}
	Some(binary_merkle_tree::merkle_proof::<Blake2Hasher, _, _>(leaves.to_vec(), leaf_index).proof)
}

/// Whether `proof` shows that `leaf` (its bytes) is leaf `leaf_index` of the `count`-leaf tree
/// with `root`, with a proof of exactly that leaf's path length (see [`verify_inclusion`]).
/// Leaves must never be 64 bytes long, the length of an inner node's preimage.
pub fn verify_leaf(root: &H256, count: u32, leaf_index: u32, leaf: &[u8], proof: &[H256]) -> bool {
	leaf_index < count
		&& leaf.len() != 64
		&& proof.len() == proof_len(count, leaf_index)
		&& binary_merkle_tree::verify_proof::<Blake2Hasher, _, _>(
			root,
			proof.iter().copied(),
			count,
			leaf_index,
			binary_merkle_tree::Leaf::Value(leaf),
		)
}
