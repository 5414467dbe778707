// The batch-scan contract shared by every backend's kernel (assembly/scan.ts mirrors
// these values; test/backend/contract.test.js checks the wasm exports against them).

/** Flags passed to scan(). */
export const SCAN_REQUIRE_MASK = 1;
export const SCAN_REJECT_MASK = 2;
export const SCAN_ALLOW_RSV1 = 4;
export const SCAN_VALIDATE_UTF8 = 8;

/** A frame-table entry is 3 int32s: [flags, payload offset, payload length]. */
export const ENTRY_INTS = 3;
/** Entry flags: the opcode in the low 4 bits plus these bits. */
export const FRAME_FIN = 16;
export const FRAME_RSV1 = 32;
export const FRAME_BAD_UTF8 = 64;

/** Header errors a scan can stop at. */
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
