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

type ViewMaker = (buffer: ArrayBufferLike, byteOffset: number, length: number) => Uint8Array;

let viewMaker: ViewMaker = (buffer, byteOffset, length) => new Uint8Array(buffer, byteOffset, length);

/** A message view of a chunk's memory. Node makes it a Buffer: one object, not a view and then a Buffer of it. */
export function viewOf(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array {
  return viewMaker(buffer, byteOffset, length);
}

export function setViewMaker(maker: ViewMaker): void {
  viewMaker = maker;
}
