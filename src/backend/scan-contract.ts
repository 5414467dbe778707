// The batch-scan contract shared by every backend's kernel. This file is its only
// definition: scripts/gen-scan-contract.js turns it into assembly/scan-contract.ts and
// bindings/scan-contract.h at build time, and test/backend/contract.test.js checks the
// wasm and native builds against it. So the generator can read it without a TypeScript
// compiler, it holds only `export const NAME = <integer literal>;` lines and comments;
// ERR_* become signed int32 in the kernels, everything else unsigned.

/** Flags passed to scan(). */
export const SCAN_REQUIRE_MASK = 1;
export const SCAN_REJECT_MASK = 2;
export const SCAN_ALLOW_RSV1 = 4;
export const SCAN_VALIDATE_UTF8 = 8;

/** A frame-table entry is ENTRY_INTS int32s: [flags, payload offset, payload length]. */
export const ENTRY_INTS = 3;
export const ENTRY_FLAGS = 0;
export const ENTRY_OFFSET = 1;
export const ENTRY_LENGTH = 2;
/** Entry flags: the opcode in the low 4 bits (FRAME_OPCODE) plus these bits. */
export const FRAME_OPCODE = 15;
export const FRAME_FIN = 16;
export const FRAME_RSV1 = 32;
export const FRAME_BAD_UTF8 = 64;

/** The result block a scan writes beside its table: RESULT_INTS int32s. */
export const RESULT_INTS = 4;
/** Where the scan stopped: after its last complete frame, at an incomplete or bad header, or at `end`. */
export const RESULT_CONSUMED = 0;
/** The ERR_* the scan stopped at, or 0. */
export const RESULT_ERROR = 1;
/** 1 when the last entry is a frame whose payload continues past `end`. */
export const RESULT_PARTIAL = 2;
/** That partial frame's mask key as a little-endian word (0 when unmasked). */
export const RESULT_PARTIAL_KEY = 3;

/** Header errors a scan can stop at (src/codec/errors.ts maps them to close codes). */
export const ERR_RSV_2_3 = 1;
export const ERR_RSV_1 = 2;
export const ERR_OPCODE = 3;
export const ERR_CONTROL_FIN = 4;
export const ERR_CONTROL_LENGTH = 5;
export const ERR_EXPECTED_MASK = 6;
export const ERR_UNEXPECTED_MASK = 7;
export const ERR_LENGTH_64 = 8;
export const ERR_TOO_BIG = 9;

/** Frames one scan call may report; the caller scans again when the table is full. */
export const TABLE_CAPACITY = 4096;

/** The largest payload length a kernel reports (lengths travel as int32). */
export const MAX_FRAME_LENGTH = 0x7fffffff;
