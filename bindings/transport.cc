// The native socket transport (DESIGN.md, "Own the socket"). After the WebSocket
// handshake, JS hands over a plain TCP socket's descriptor: it is duplicated here, then
// Node closes its own handle, which sends nothing (a connection ends only when its last
// descriptor is closed, and libuv removes the old one from epoll before closing it).
// From then on the socket is a uv_poll_t on Node's own loop:
//  - reads land in one buffer per context, shared with JS, which copies each read out
//    before anything else can run; JS is entered once per read: onRead(id, length);
//  - writes go straight to the kernel (send/sendmsg); only what it would not take
//    (EAGAIN) is copied into the connection's queue and drained when it is writable;
//  - the rest reaches JS as onEvent(id, kind, value): the peer's EOF, write progress,
//    and closed (exactly once, after the handle is closed).
// JS holds ids, never pointers: a stale id finds nothing rather than freed memory.
// Nothing here blocks (the descriptor is non-blocking) and no call re-enters JS except
// from the loop's own callbacks.
#include "transport.h"

#ifdef _WIN32

namespace wscodec {
void register_transport(napi_env, napi_value) {}
}  // namespace wscodec

#else

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: no such flag, and Node ignores SIGPIPE anyway
#endif

namespace wscodec {
namespace {

// onEvent kinds; src/node/transports/native.ts uses the same numbers.
constexpr uint32_t EVENT_END = 1;      // the peer sent EOF
constexpr uint32_t EVENT_WRITTEN = 2;  // queued bytes went to the kernel; value: bytes still queued
constexpr uint32_t EVENT_CLOSED = 3;   // the connection is gone; value: errno (0: a clean end or ours)

// Reads per wake-up while each one fills the buffer: as libuv's streams do, bounded so a
// busy socket cannot starve the others on the loop.
constexpr int kReadsPerWake = 16;
// iovecs per sendmsg (IOV_MAX is 1024 on Linux; the queue drains in smaller steps).
constexpr size_t kIovSlice = 1024;
constexpr int kDrainIov = 64;

struct Context;

// Bytes a write left behind because the kernel's buffer was full: an owned copy, since
// the caller's buffer may be reused or collected once the call returns.
struct Chunk {
  uint8_t* data;
  size_t length;
  size_t offset;  // bytes of it already sent
};

struct Conn {
  uv_poll_t poll;  // poll.data points back here
  Context* ctx = nullptr;
  int fd = -1;
  uint32_t id = 0;
  int polled = 0;              // the UV_READABLE | UV_WRITABLE the loop watches now
  int close_error = 0;         // the errno EVENT_CLOSED reports
  bool reading = false;        // JS wants reads
  bool peer_eof = false;       // a read returned 0
  bool end_requested = false;  // JS asked for EOF once the queue is sent
  bool shut = false;           // shutdown(SHUT_WR) done
  bool closing = false;        // uv_close called; freed in on_closed
  std::vector<Chunk> queue;    // empty (no allocation) unless the kernel said EAGAIN
  size_t queue_head = 0;       // first chunk not fully sent
  size_t queued = 0;           // bytes in the queue not yet sent
};

// One per transport() call (one per JS module instance and thread): the loop, the read
// buffer and the JS callbacks its connections share.
struct Context {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  napi_ref on_read = nullptr;
  napi_ref on_event = nullptr;
  napi_ref read_ref = nullptr;  // keeps the shared read buffer alive
  napi_async_context async = nullptr;
  uint8_t* read_buf = nullptr;
  size_t read_size = 0;
  std::vector<Conn*> conns;  // by id; nullptr once closed
  std::vector<uint32_t> free_ids;
  std::vector<iovec> iov;  // writev's scratch (JS runs one call at a time per thread)
  size_t open = 0;         // connections not yet freed, closing ones included
  bool tearing_down = false;
  napi_async_cleanup_hook_handle cleanup = nullptr;
};

void on_poll(uv_poll_t* handle, int status, int events);
void begin_close(Conn* c, int error);

// Calls into JS from a loop callback the way Node's own I/O does: napi_make_callback runs
// the nextTick queue and microtasks afterwards, and an exception goes to
// 'uncaughtException' as one thrown by a net.Socket's 'data' listener would.
void call_js(Context* ctx, napi_ref fn_ref, size_t argc, const double* args) {
  if (ctx->tearing_down) return;  // the environment is going away: no JS any more
  napi_env env = ctx->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[3];
  bool ok = napi_get_reference_value(env, fn_ref, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok;
  for (size_t i = 0; ok && i < argc; i++) ok = napi_create_double(env, args[i], &argv[i]) == napi_ok;
  if (ok && napi_make_callback(env, ctx->async, recv, fn, argc, argv, nullptr) != napi_ok) {
    // Not every failure is a throw (Node also refuses while it is shutting down).
    bool pending = false;
    napi_value err;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &err) == napi_ok)
      napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

void emit(Context* ctx, uint32_t id, uint32_t kind, double value) {
  const double args[3] = {double(id), double(kind), value};
  call_js(ctx, ctx->on_event, 3, args);
}

// Sends what the kernel takes now: bytes sent, 0 when it would block, -1 with errno.
ssize_t send_iov(int fd, iovec* iov, size_t count) {
  msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

void free_queue(Conn* c) {
  for (size_t i = c->queue_head; i < c->queue.size(); i++) free(c->queue[i].data);
  // swap, not clear: an idle connection keeps no capacity from a past burst.
  std::vector<Chunk>().swap(c->queue);
  c->queue_head = 0;
  c->queued = 0;
}

bool enqueue(Conn* c, const uint8_t* data, size_t length) {
  if (length == 0) return true;
  uint8_t* copy = static_cast<uint8_t*>(malloc(length));
  if (copy == nullptr) return false;
  memcpy(copy, data, length);
  c->queue.push_back(Chunk{copy, length, 0});
  c->queued += length;
  return true;
}

// Watches what the connection needs: reads while JS wants them and the peer may send,
// writability while bytes wait. (uv_poll_start re-registers with epoll, so only on a change.)
void update_poll(Conn* c) {
  if (c->closing) return;
  int want = 0;
  if (c->reading && !c->peer_eof) want |= UV_READABLE;
  if (c->queued > 0) want |= UV_WRITABLE;
  if (want == c->polled) return;
  const int err = want == 0 ? uv_poll_stop(&c->poll) : uv_poll_start(&c->poll, want, on_poll);
  if (err != 0) {
    begin_close(c, -err);  // libuv's codes are negated errnos on Unix
    return;
  }
  c->polled = want;
}

void on_closed(uv_handle_t* handle) {
  Conn* c = static_cast<Conn*>(handle->data);
  Context* ctx = c->ctx;
  const uint32_t id = c->id;
  const int error = c->close_error;
  ctx->conns[id] = nullptr;
  delete c;
  emit(ctx, id, EVENT_CLOSED, error);
  // Reusable only now: JS has forgotten the id while handling EVENT_CLOSED.
  ctx->free_ids.push_back(id);
  if (--ctx->open == 0 && ctx->tearing_down) {
    napi_env env = ctx->env;
    napi_delete_reference(env, ctx->on_read);
    napi_delete_reference(env, ctx->on_event);
    napi_delete_reference(env, ctx->read_ref);
    napi_async_destroy(env, ctx->async);
    napi_async_cleanup_hook_handle cleanup = ctx->cleanup;
    delete ctx;
    napi_remove_async_cleanup_hook(cleanup);
  }
}

// Ends the connection now: what is queued is dropped, JS hears EVENT_CLOSED from on_closed.
void begin_close(Conn* c, int error) {
  if (c->closing) return;
  c->closing = true;
  c->close_error = error;
  free_queue(c);
  // uv_close stops the polling (EPOLL_CTL_DEL) before it returns, so the descriptor may
  // go at once and the peer sees the end without waiting for the loop. close() is not
  // retried on EINTR: on Linux the descriptor is released either way.
  uv_close(reinterpret_cast<uv_handle_t*>(&c->poll), on_closed);
  close(c->fd);
  c->fd = -1;
}

// Our EOF, once everything queued is sent; with the peer's EOF seen too, the connection is done.
void do_shutdown(Conn* c) {
  // ENOTCONN: the peer already reset the connection; reading will say so.
  if (shutdown(c->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
    begin_close(c, errno);
    return;
  }
  c->shut = true;
  if (c->peer_eof) begin_close(c, 0);
}

// Writes `iov` now unless bytes are queued (order), queuing whatever the kernel does not
// take. False when the connection failed (it is closing; JS hears EVENT_CLOSED).
bool write_now(Conn* c, iovec* iov, size_t count) {
  size_t i = 0;
  while (c->queued == 0 && i < count) {
    const size_t slice = std::min(count - i, kIovSlice);
    size_t want = 0;
    for (size_t k = 0; k < slice; k++) want += iov[i + k].iov_len;
    const ssize_t n = send_iov(c->fd, iov + i, slice);
    if (n < 0) {
      begin_close(c, errno);
      return false;
    }
    size_t sent = size_t(n);
    while (i < count && sent >= iov[i].iov_len) sent -= iov[i++].iov_len;
    if (sent > 0) {
      iov[i].iov_base = static_cast<uint8_t*>(iov[i].iov_base) + sent;
      iov[i].iov_len -= sent;
    }
    if (size_t(n) < want) break;  // the kernel's buffer is full
  }
  for (; i < count; i++) {
    if (!enqueue(c, static_cast<uint8_t*>(iov[i].iov_base), iov[i].iov_len)) {
      begin_close(c, ENOMEM);
      return false;
    }
  }
  update_poll(c);
  return !c->closing;
}

// The socket is writable: send from the queue until it would block again.
void drain(Conn* c) {
  bool progressed = false;
  while (c->queued > 0) {
    iovec iov[kDrainIov];
    size_t count = 0, want = 0;
    for (size_t k = c->queue_head; k < c->queue.size() && count < kDrainIov; k++, count++) {
      Chunk& chunk = c->queue[k];
      iov[count].iov_base = chunk.data + chunk.offset;
      iov[count].iov_len = chunk.length - chunk.offset;
      want += iov[count].iov_len;
    }
    const ssize_t n = send_iov(c->fd, iov, count);
    if (n < 0) {
      begin_close(c, errno);
      return;
    }
    if (n == 0) break;
    progressed = true;
    c->queued -= size_t(n);
    for (size_t sent = size_t(n); sent > 0;) {
      Chunk& chunk = c->queue[c->queue_head];
      const size_t left = chunk.length - chunk.offset;
      if (sent < left) {
        chunk.offset += sent;
        break;
      }
      free(chunk.data);
      c->queue_head++;
      sent -= left;
    }
    if (size_t(n) < want) break;
  }
  if (c->queued == 0) free_queue(c);
  update_poll(c);
  if (progressed) {
    emit(c->ctx, c->id, EVENT_WRITTEN, double(c->queued));
    if (c->closing) return;  // JS ended it meanwhile
  }
  if (c->queued == 0 && c->end_requested && !c->shut) do_shutdown(c);
}

void do_read(Conn* c) {
  Context* ctx = c->ctx;
  for (int i = 0; i < kReadsPerWake; i++) {
    ssize_t n;
    do n = recv(c->fd, ctx->read_buf, ctx->read_size, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
      const double args[2] = {double(c->id), double(n)};
      call_js(ctx, ctx->on_read, 2, args);
      // JS may have paused or ended the connection while handling the read.
      if (c->closing || !c->reading || size_t(n) < ctx->read_size) return;
      continue;
    }
    if (n == 0) {
      c->peer_eof = true;
      update_poll(c);
      emit(ctx, c->id, EVENT_END, 0);
      if (!c->closing && c->shut) begin_close(c, 0);
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) begin_close(c, errno);
    return;
  }
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err != 0 ? err : ECONNRESET;
}

void on_poll(uv_poll_t* handle, int status, int events) {
  Conn* c = static_cast<Conn*>(handle->data);
  if (c->closing) return;
  if (status < 0) {
    // EPOLLERR (a reset, mostly): libuv stopped watching. What the peer sent before the
    // error is still readable and goes first; then the connection ends with the error.
    c->polled = 0;
    if (c->reading && !c->peer_eof) do_read(c);
    if (!c->closing) begin_close(c, socket_error(c->fd));
    return;
  }
  if (events & UV_WRITABLE) {
    drain(c);
    if (c->closing) return;
  }
  if ((events & UV_READABLE) && c->reading && !c->peer_eof) do_read(c);
}

// Environment teardown (a worker ending, the main thread exiting normally): every
// connection is closed without calling JS, and the context is freed once the last close
// callback ran; Node keeps the loop turning until napi_remove_async_cleanup_hook.
void on_teardown(napi_async_cleanup_hook_handle handle, void* arg) {
  Context* ctx = static_cast<Context*>(arg);
  ctx->tearing_down = true;
  ctx->cleanup = handle;
  for (Conn* c : ctx->conns)
    if (c != nullptr) begin_close(c, 0);
  if (ctx->open == 0) {
    napi_env env = ctx->env;
    napi_delete_reference(env, ctx->on_read);
    napi_delete_reference(env, ctx->on_event);
    napi_delete_reference(env, ctx->read_ref);
    napi_async_destroy(env, ctx->async);
    delete ctx;
    napi_remove_async_cleanup_hook(handle);
  }
}

// ---- the JS-facing functions (each created with its Context as data) ----

napi_value fail(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

napi_value number(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

Context* args_of(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, argc, argv, nullptr, &data) != napi_ok) *argc = 0;
  return static_cast<Context*>(data);
}

bool bytes_of(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* d;
  if (napi_get_typedarray_info(env, v, &type, length, &d, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(d);
  return true;
}

// The open connection with this id, or nullptr (closed, closing, or never existed).
Conn* conn_of(napi_env env, Context* ctx, napi_value v) {
  uint32_t id;
  if (napi_get_value_uint32(env, v, &id) != napi_ok || id >= ctx->conns.size()) return nullptr;
  Conn* c = ctx->conns[id];
  return c != nullptr && !c->closing ? c : nullptr;
}

// adopt(fd) → id. Duplicates the descriptor (close-on-exec: a child process must not
// hold the connection open) and prepares its poll handle; reading starts with setReading.
napi_value Adopt(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Context* ctx = args_of(env, info, &argc, argv);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "adopt(fd: number)");
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    napi_throw_error(env, nullptr, "adopt: the descriptor is not a stream socket");
    return nullptr;
  }
  const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    napi_throw_error(env, nullptr, uv_strerror(-errno));
    return nullptr;
  }
  Conn* c = new (std::nothrow) Conn();
  if (c == nullptr) {
    close(own);
    napi_throw_error(env, nullptr, "adopt: out of memory");
    return nullptr;
  }
  // Also makes the descriptor non-blocking (Node's already was: the flag is shared).
  const int err = uv_poll_init_socket(ctx->loop, &c->poll, own);
  if (err != 0) {
    delete c;
    close(own);
    napi_throw_error(env, nullptr, uv_strerror(err));
    return nullptr;
  }
  c->poll.data = c;
  c->ctx = ctx;
  c->fd = own;
  if (ctx->free_ids.empty()) {
    c->id = uint32_t(ctx->conns.size());
    ctx->conns.push_back(c);
  } else {
    c->id = ctx->free_ids.back();
    ctx->free_ids.pop_back();
    ctx->conns[c->id] = c;
  }
  ctx->open++;
  return number(env, c->id);
}

// write(id, bytes) → bytes still queued after it (0: all with the kernel), -1 when closed.
napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Context* ctx = args_of(env, info, &argc, argv);
  iovec iov;
  uint8_t* data;
  if (argc < 2 || !bytes_of(env, argv[1], &data, &iov.iov_len)) return fail(env, "write(id, bytes: Uint8Array)");
  iov.iov_base = data;
  Conn* c = conn_of(env, ctx, argv[0]);
  if (c == nullptr || c->end_requested || !write_now(c, &iov, 1)) return number(env, -1);
  return number(env, double(c->queued));
}

// writev(id, chunks: Uint8Array[]) → as write(), all chunks in one system call where they fit.
napi_value Writev(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Context* ctx = args_of(env, info, &argc, argv);
  uint32_t count;
  bool is_array = false;
  if (argc < 2 || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok) {
    return fail(env, "writev(id, chunks: Uint8Array[])");
  }
  std::vector<iovec>& iov = ctx->iov;
  iov.resize(count);
  for (uint32_t k = 0; k < count; k++) {
    napi_value element;
    uint8_t* data;
    if (napi_get_element(env, argv[1], k, &element) != napi_ok || !bytes_of(env, element, &data, &iov[k].iov_len)) {
      return fail(env, "writev(id, chunks: Uint8Array[])");
    }
    iov[k].iov_base = data;
  }
  Conn* c = conn_of(env, ctx, argv[0]);
  if (c == nullptr || c->end_requested || !write_now(c, iov.data(), count)) return number(env, -1);
  return number(env, double(c->queued));
}

// end(id): EOF (shutdown(SHUT_WR)) once everything queued is sent.
napi_value End(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Context* ctx = args_of(env, info, &argc, argv);
  Conn* c = argc >= 1 ? conn_of(env, ctx, argv[0]) : nullptr;
  if (c != nullptr && !c->end_requested) {
    c->end_requested = true;
    if (c->queued == 0) do_shutdown(c);
  }
  return nullptr;
}

// destroy(id): closes now; EVENT_CLOSED follows from the loop.
napi_value Destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Context* ctx = args_of(env, info, &argc, argv);
  Conn* c = argc >= 1 ? conn_of(env, ctx, argv[0]) : nullptr;
  if (c != nullptr) begin_close(c, 0);
  return nullptr;
}

// setReading(id, on): start or stop polling for reads (JS's pause/resume).
napi_value SetReading(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Context* ctx = args_of(env, info, &argc, argv);
  bool on;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &on) != napi_ok) return fail(env, "setReading(id, on: boolean)");
  Conn* c = conn_of(env, ctx, argv[0]);
  if (c != nullptr) {
    c->reading = on;
    update_poll(c);
  }
  return nullptr;
}

napi_value boolean(napi_env env, bool value) {
  napi_value out;
  napi_get_boolean(env, value, &out);
  return out;
}

// setNoDelay(id, on) → whether it took effect.
napi_value SetNoDelay(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Context* ctx = args_of(env, info, &argc, argv);
  bool on;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &on) != napi_ok) return fail(env, "setNoDelay(id, on: boolean)");
  Conn* c = conn_of(env, ctx, argv[0]);
  const int value = on ? 1 : 0;
  return boolean(env, c != nullptr && setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) == 0);
}

// setKeepAlive(id, on, idleSeconds) → whether it took effect (net.Socket's semantics).
napi_value SetKeepAlive(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  Context* ctx = args_of(env, info, &argc, argv);
  bool on;
  uint32_t idle;
  if (argc < 3 || napi_get_value_bool(env, argv[1], &on) != napi_ok || napi_get_value_uint32(env, argv[2], &idle) != napi_ok) {
    return fail(env, "setKeepAlive(id, on: boolean, idleSeconds: number)");
  }
  Conn* c = conn_of(env, ctx, argv[0]);
  if (c == nullptr) return boolean(env, false);
  const int value = on ? 1 : 0;
  bool ok = setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof value) == 0;
  if (ok && on && idle > 0) {
    const int seconds = int(std::min<uint32_t>(idle, 32767));
#ifdef TCP_KEEPIDLE
    ok = setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds) == 0;
#elif defined(TCP_KEEPALIVE)
    ok = setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPALIVE, &seconds, sizeof seconds) == 0;
#endif
  }
  return boolean(env, ok);
}

// transport(readBuffer: Uint8Array, onRead(id, length), onEvent(id, kind, value)) → the
// functions above, bound to a new Context on this thread's loop.
napi_value CreateTransport(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) argc = 0;
  uint8_t* buf;
  size_t size;
  napi_valuetype t1 = napi_undefined, t2 = napi_undefined;
  if (argc < 3 || !bytes_of(env, argv[0], &buf, &size) || size == 0 || napi_typeof(env, argv[1], &t1) != napi_ok ||
      napi_typeof(env, argv[2], &t2) != napi_ok || t1 != napi_function || t2 != napi_function) {
    return fail(env, "transport(readBuffer: Uint8Array, onRead: function, onEvent: function)");
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, nullptr, "transport: no event loop");
    return nullptr;
  }
  Context* ctx = new Context();
  ctx->env = env;
  ctx->loop = loop;
  ctx->read_buf = buf;
  ctx->read_size = size;
  napi_value resource, name;
  if (napi_create_reference(env, argv[0], 1, &ctx->read_ref) != napi_ok || napi_create_reference(env, argv[1], 1, &ctx->on_read) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &ctx->on_event) != napi_ok || napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "wscodec:socket", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &ctx->async) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_teardown, ctx, nullptr) != napi_ok) {
    // Only a failing engine gets here; what was created stays (a few bytes, once).
    napi_throw_error(env, nullptr, "transport: setup failed");
    return nullptr;
  }
  napi_value out;
  napi_create_object(env, &out);
  const struct {
    const char* name;
    napi_callback fn;
  } methods[] = {{"adopt", Adopt},          {"write", Write},           {"writev", Writev},
                 {"end", End},              {"destroy", Destroy},       {"setReading", SetReading},
                 {"setNoDelay", SetNoDelay}, {"setKeepAlive", SetKeepAlive}};
  for (const auto& m : methods) {
    napi_value fn;
    napi_create_function(env, m.name, NAPI_AUTO_LENGTH, m.fn, ctx, &fn);
    napi_set_named_property(env, out, m.name, fn);
  }
  return out;
}

}  // namespace

void register_transport(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "transport", NAPI_AUTO_LENGTH, CreateTransport, nullptr, &fn) == napi_ok)
    napi_set_named_property(env, exports, "transport", fn);
}

}  // namespace wscodec

#endif  // _WIN32
