// Allocation, not copying, dominates assembling big messages here (zero-filling a fresh
// 64 KiB buffer costs about three times what Node's allocUnsafe does). A runtime can
// offer an uninitialised allocator; the decoder uses it only for buffers it fills
// completely before anyone sees them.

type Allocator = (size: number) => Uint8Array;

let uninitialized: Allocator = (size) => new Uint8Array(size);

export function allocUninitialized(size: number): Uint8Array {
  return uninitialized(size);
}

export function setUninitializedAllocator(allocator: Allocator): void {
  uninitialized = allocator;
}
