/**
 * A loopback TCP proxy for network-fault tests. It forwards bytes both ways and can
 * - stall: stop forwarding while keeping every socket open (a black hole: the peer sees silence),
 * - cut: close every socket and refuse new connections (the listener is closed),
 * - resume: forward again (re-listening on the same port after a cut).
 */

/** A running proxy. */
export interface TcpProxy extends AsyncDisposable {
  readonly port: number;
  readonly mode: () => "forward" | "stall" | "cut";
  /** Open client connections. */
  readonly connections: () => number;
  stall(): void;
  cut(): void;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:`port` (0 = any free port) forwarding to 127.0.0.1:`targetPort`. */
export function startTcpProxy(opts: { readonly port?: number; readonly targetPort: number }): TcpProxy {
  let mode: "forward" | "stall" | "cut" = "forward";
  let gate: { promise: Promise<void>; resolve: () => void } | undefined;
  const conns = new Set<Deno.Conn>();
  let closed = false;

  function waitGate(): Promise<void> | undefined {
    return mode === "stall" ? gate?.promise : undefined;
  }

  async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        // While stalled, hold this chunk (and stop reading, so the kernel buffers fill up and the peer
        // blocks) until resumed or cut.
        const wait = waitGate();
        if (wait) await wait;
        if (mode === "cut") break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // A socket closed under us: the other direction ends too.
    } finally {
      drop(from);
      drop(to);
    }
  }

  function drop(c: Deno.Conn): void {
    if (!conns.delete(c)) return;
    try {
      c.close();
    } catch {
      // already closed
    }
  }

  async function handle(client: Deno.Conn): Promise<void> {
    conns.add(client);
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: opts.targetPort });
    } catch {
      drop(client);
      return;
    }
    if (mode === "cut" || !conns.has(client)) {
      upstream.close();
      drop(client);
      return;
    }
    conns.add(upstream);
    await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
  }

  let listener = Deno.listen({ hostname: "127.0.0.1", port: opts.port ?? 0 });
  const port = (listener.addr as Deno.NetAddr).port;

  async function acceptLoop(l: Deno.Listener): Promise<void> {
    try {
      for await (const c of l) {
        if (mode === "cut") {
          c.close();
          continue;
        }
        handle(c);
      }
    } catch {
      // listener closed
    }
  }
  acceptLoop(listener);

  const proxy: TcpProxy = {
    port,
    mode: () => mode,
    connections: () => conns.size,
    stall() {
      if (mode === "stall") return;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      gate = { promise, resolve };
      mode = "stall";
    },
    cut() {
      mode = "cut";
      gate?.resolve();
      try {
        listener.close();
      } catch {
        // already closed
      }
      for (const c of [...conns]) drop(c);
    },
    async resume() {
      const was = mode;
      mode = "forward";
      gate?.resolve();
      if (was === "cut" && !closed) {
        // Re-bind the same port; a just-closed listener can take a moment to release it.
        for (let attempt = 0; attempt < 50; attempt++) {
          try {
            listener = Deno.listen({ hostname: "127.0.0.1", port });
            acceptLoop(listener);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        throw new Error(`could not listen on 127.0.0.1:${port} again`);
      }
    },
    close() {
      closed = true;
      proxy.cut();
      return Promise.resolve();
    },
    [Symbol.asyncDispose]: () => proxy.close(),
  };
  return proxy;
}
