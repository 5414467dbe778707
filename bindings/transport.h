// The native socket transport: plain TCP connections taken over from net.Sockets and
// served on Node's own libuv loop (src/node/transports/native.ts is its JS half).
#pragma once
#include <node_api.h>

namespace wscodec {

// Adds `transport(readBuffer, onRead, onEvent)` to the addon's exports (nothing on
// platforms without POSIX sockets, where the JS side then reports the transport unavailable).
void register_transport(napi_env env, napi_value exports);

}  // namespace wscodec
