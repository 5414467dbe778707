// In which order the fan-out servers take turns. They share one CPU, so whatever a server
// leaves behind (GC, flushing) lands on the next one, and the first slice after a pause runs
// on a quieter machine: no server may always be first, nor always follow the same one.

/**
 * The order of `count` servers (indices 0…count-1) at turn `turn` (a round, a slice group):
 * rotated one step per turn, and reversed on every other cycle of `count` turns. Over 2 ×
 * count turns every server holds every position twice and, for up to three servers, follows
 * each other server equally often (0 1 2, 1 2 0, 2 0 1, 2 1 0, 0 2 1, 1 0 2).
 */
export function turnOrder(count, turn) {
  const rotated = Array.from({ length: count }, (_, k) => (turn + k) % count);
  return Math.floor(turn / count) % 2 ? rotated.reverse() : rotated;
}
