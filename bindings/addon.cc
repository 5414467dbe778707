// N-API glue for the native kernels. Every call checks its arguments (types and
// bounds): a wrong call from JS must throw, never touch memory it shouldn't.
#include <napi.h>

#include "kernels.h"

namespace {

bool bytes_of(const Napi::Value& v, uint8_t** data, size_t* length) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (a.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u = a.As<Napi::Uint8Array>();
  *data = u.Data();
  *length = u.ElementLength();
  return true;
}

Napi::Value Fail(const Napi::CallbackInfo& info, const char* message) {
  Napi::TypeError::New(info.Env(), message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

uint32_t u32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }

// scan(bytes, start, end, flags, maxPayload, table: Int32Array, result: Int32Array(4)) → count
Napi::Value Scan(const Napi::CallbackInfo& info) {
  uint8_t* bytes;
  size_t length;
  if (info.Length() < 7 || !bytes_of(info[0], &bytes, &length) || !info[5].IsTypedArray() || !info[6].IsTypedArray()) {
    return Fail(info, "scan(bytes, start, end, flags, maxPayload, table, result)");
  }
  Napi::TypedArray table = info[5].As<Napi::TypedArray>();
  Napi::TypedArray result = info[6].As<Napi::TypedArray>();
  if (table.TypedArrayType() != napi_int32_array || result.TypedArrayType() != napi_int32_array || result.ElementLength() < 4) {
    return Fail(info, "scan: table and result must be Int32Arrays (result of 4)");
  }
  const uint32_t start = u32(info, 1), end = u32(info, 2);
  if (start > end || end > length) return Fail(info, "scan: range outside the bytes");
  wscodec::ScanResult out;
  const uint32_t count = wscodec::scan(bytes, start, end, u32(info, 3), u32(info, 4),
                                       table.As<Napi::Int32Array>().Data(), uint32_t(table.ElementLength() / 3), &out);
  int32_t* r = result.As<Napi::Int32Array>().Data();
  r[0] = int32_t(out.consumed);
  r[1] = out.error;
  r[2] = out.partial;
  r[3] = int32_t(out.partial_key);
  return Napi::Number::New(info.Env(), count);
}

// unmask(bytes, start, end, keyWord): XOR in place.
Napi::Value Unmask(const Napi::CallbackInfo& info) {
  uint8_t* bytes;
  size_t length;
  if (info.Length() < 4 || !bytes_of(info[0], &bytes, &length)) return Fail(info, "unmask(bytes, start, end, keyWord)");
  const uint32_t start = u32(info, 1), end = u32(info, 2);
  if (start > end || end > length) return Fail(info, "unmask: range outside the bytes");
  wscodec::xor_in_place(bytes + start, end - start, u32(info, 3));
  return info.Env().Undefined();
}

// mask(source, keyWord, output, offset, length): bufferutil's mask with the key as a word.
Napi::Value Mask(const Napi::CallbackInfo& info) {
  uint8_t *source, *output;
  size_t source_length, output_length;
  if (info.Length() < 5 || !bytes_of(info[0], &source, &source_length) || !bytes_of(info[2], &output, &output_length)) {
    return Fail(info, "mask(source, keyWord, output, offset, length)");
  }
  const uint32_t offset = u32(info, 3), n = u32(info, 4);
  if (n > source_length || size_t(offset) + n > output_length) return Fail(info, "mask: range outside the buffers");
  wscodec::xor_copy(output + offset, source, n, u32(info, 1));
  return info.Env().Undefined();
}

// utf8(bytes, state, start, end) → state
Napi::Value Utf8(const Napi::CallbackInfo& info) {
  uint8_t* bytes;
  size_t length;
  if (info.Length() < 4 || !bytes_of(info[0], &bytes, &length)) return Fail(info, "utf8(bytes, state, start, end)");
  const uint32_t start = u32(info, 2), end = u32(info, 3);
  if (start > end || end > length) return Fail(info, "utf8: range outside the bytes");
  return Napi::Number::New(info.Env(), wscodec::utf8_step(u32(info, 1), bytes + start, bytes + end));
}

Napi::Value SetUtf8Tables(const Napi::CallbackInfo& info) {
  uint8_t *classes, *transitions;
  size_t class_count, transition_count;
  if (info.Length() < 2 || !bytes_of(info[0], &classes, &class_count) || !bytes_of(info[1], &transitions, &transition_count) ||
      !wscodec::set_utf8_tables(classes, class_count, transitions, transition_count)) {
    return Fail(info, "setUtf8Tables(classes: 256 bytes, transitions: at most 256 bytes)");
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("scan", Napi::Function::New(env, Scan));
  exports.Set("unmask", Napi::Function::New(env, Unmask));
  exports.Set("mask", Napi::Function::New(env, Mask));
  exports.Set("utf8", Napi::Function::New(env, Utf8));
  exports.Set("setUtf8Tables", Napi::Function::New(env, SetUtf8Tables));
  exports.Set("simdPath", Napi::String::New(env, wscodec::simd_path()));
  return exports;
}

}  // namespace

NODE_API_MODULE(wscodec, Init)
