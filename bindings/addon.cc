// N-API glue for the native kernels. Every call checks its arguments (types and
// bounds): a wrong call from JS must throw, never touch memory it shouldn't.
#include <napi.h>

#include "kernels.h"
#include "transport.h"

namespace {

// Hot paths use raw N-API calls: one napi_get_typedarray_info gives type, length and
// data at once, where the wrapper classes ask several times (a call costs ~10 ns, and
// a small unmask is only a few hundred cycles of work).
bool bytes_of(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* d;
  if (napi_get_typedarray_info(env, v, &type, length, &d, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(d);
  return true;
}

bool int32s_of(napi_env env, napi_value v, int32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* d;
  if (napi_get_typedarray_info(env, v, &type, length, &d, nullptr, nullptr) != napi_ok || type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(d);
  return true;
}

bool u32(napi_env env, napi_value v, uint32_t* out) { return napi_get_value_uint32(env, v, out) == napi_ok; }

Napi::Value Fail(const Napi::CallbackInfo& info, const char* message) {
  Napi::TypeError::New(info.Env(), message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// scan(bytes, start, end, flags, maxPayload, table: Int32Array, result: Int32Array(RESULT_INTS)) → count
// The table holds as many whole entries (ENTRY_INTS words each) as fit in it.
Napi::Value Scan(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* bytes;
  int32_t *table, *result;
  size_t length, table_length, result_length;
  uint32_t start, end, flags, max_payload;
  if (info.Length() < 7 || !bytes_of(env, info[0], &bytes, &length) || !u32(env, info[1], &start) || !u32(env, info[2], &end) ||
      !u32(env, info[3], &flags) || !u32(env, info[4], &max_payload) || !int32s_of(env, info[5], &table, &table_length) ||
      !int32s_of(env, info[6], &result, &result_length) || result_length < wscodec::RESULT_INTS) {
    return Fail(info, "scan(bytes: Uint8Array, start, end, flags, maxPayload, table: Int32Array, result: Int32Array(4))");
  }
  if (start > end || end > length) return Fail(info, "scan: range outside the bytes");
  wscodec::ScanResult out;
  const uint32_t capacity = uint32_t(table_length / wscodec::ENTRY_INTS);
  const uint32_t count = wscodec::scan(bytes, start, end, flags, max_payload, table, capacity, &out);
  result[wscodec::RESULT_CONSUMED] = int32_t(out.consumed);
  result[wscodec::RESULT_ERROR] = out.error;
  result[wscodec::RESULT_PARTIAL] = out.partial;
  result[wscodec::RESULT_PARTIAL_KEY] = int32_t(out.partial_key);
  return Napi::Number::New(env, count);
}

// unmask(bytes, start, end, keyWord): XOR in place.
Napi::Value Unmask(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* bytes;
  size_t length;
  uint32_t start, end, key;
  if (info.Length() < 4 || !bytes_of(env, info[0], &bytes, &length) || !u32(env, info[1], &start) || !u32(env, info[2], &end) ||
      !u32(env, info[3], &key)) {
    return Fail(info, "unmask(bytes: Uint8Array, start, end, keyWord)");
  }
  if (start > end || end > length) return Fail(info, "unmask: range outside the bytes");
  wscodec::xor_in_place(bytes + start, end - start, key);
  return Napi::Value();
}

// unmaskBuffer(buffer, keyWord): the whole buffer, bufferutil's unmask with the key as a
// word. Two arguments, because at 16–125 bytes each argument conversion shows.
Napi::Value UnmaskBuffer(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* bytes;
  size_t length;
  uint32_t key;
  if (info.Length() < 2 || !bytes_of(env, info[0], &bytes, &length) || !u32(env, info[1], &key)) {
    return Fail(info, "unmaskBuffer(buffer: Uint8Array, keyWord)");
  }
  wscodec::xor_in_place(bytes, length, key);
  return Napi::Value();
}

// mask(source, keyWord, output, offset, length): bufferutil's mask with the key as a word.
Napi::Value Mask(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t *source, *output;
  size_t source_length, output_length;
  uint32_t key, offset, n;
  if (info.Length() < 5 || !bytes_of(env, info[0], &source, &source_length) || !u32(env, info[1], &key) ||
      !bytes_of(env, info[2], &output, &output_length) || !u32(env, info[3], &offset) || !u32(env, info[4], &n)) {
    return Fail(info, "mask(source: Uint8Array, keyWord, output: Uint8Array, offset, length)");
  }
  if (n > source_length || size_t(offset) + n > output_length) return Fail(info, "mask: range outside the buffers");
  wscodec::xor_copy(output + offset, source, n, key);
  return Napi::Value();
}

// utf8(bytes, state, start, end) → state
Napi::Value Utf8(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* bytes;
  size_t length;
  uint32_t state, start, end;
  if (info.Length() < 4 || !bytes_of(env, info[0], &bytes, &length) || !u32(env, info[1], &state) || !u32(env, info[2], &start) ||
      !u32(env, info[3], &end)) {
    return Fail(info, "utf8(bytes: Uint8Array, state, start, end)");
  }
  if (start > end || end > length) return Fail(info, "utf8: range outside the bytes");
  return Napi::Number::New(env, wscodec::utf8_step(state, bytes + start, bytes + end));
}

Napi::Value SetUtf8Tables(const Napi::CallbackInfo& info) {
  uint8_t *classes, *transitions;
  size_t class_count, transition_count;
  if (info.Length() < 2 || !bytes_of(info.Env(), info[0], &classes, &class_count) ||
      !bytes_of(info.Env(), info[1], &transitions, &transition_count) ||
      !wscodec::set_utf8_tables(classes, class_count, transitions, transition_count)) {
    return Fail(info, "setUtf8Tables(classes: 256 bytes, transitions: at most 256 bytes)");
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("scan", Napi::Function::New(env, Scan));
  exports.Set("unmask", Napi::Function::New(env, Unmask));
  exports.Set("unmaskBuffer", Napi::Function::New(env, UnmaskBuffer));
  exports.Set("mask", Napi::Function::New(env, Mask));
  exports.Set("utf8", Napi::Function::New(env, Utf8));
  exports.Set("setUtf8Tables", Napi::Function::New(env, SetUtf8Tables));
  exports.Set("simdPath", Napi::String::New(env, wscodec::simd_path()));
  // The contract this build was compiled with, for test/backend/contract.test.js.
  Napi::Object contract = Napi::Object::New(env);
  for (const auto& c : wscodec::SCAN_CONTRACT) contract.Set(c.name, Napi::Number::New(env, c.value));
  exports.Set("scanContract", contract);
  // The native socket transport (bindings/transport.cc).
  wscodec::register_transport(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(wscodec, Init)
