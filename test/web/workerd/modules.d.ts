// Just enough of workerd's module world for worker.js to type-check against our
// package (@cloudflare/workers-types is not a dependency): connect() from
// 'cloudflare:sockets' as far as the Worker uses it, and .wasm imports, which workerd
// hands over as compiled modules (CompiledWasm).
declare module 'cloudflare:sockets' {
  export interface Socket {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly opened: Promise<{ remoteAddress?: string; localAddress?: string }>;
    readonly closed: Promise<void>;
    close(): Promise<void>;
  }
  export function connect(address: string | { hostname: string; port: number }, options?: object): Socket;
}

declare module '*.wasm' {
  const compiled: WebAssembly.Module;
  export default compiled;
}
