// permessage-deflate parameters as a negotiation agrees on them (RFC 7692 §7.1), with
// context takeover and 15-bit windows both ways unless a test overrides a field.

/** @param {object} [overrides] fields of DeflateParams to change */
export const deflateParams = (overrides = {}) => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  ...overrides,
});
