// A TCP relay on loopback that counts the connections it passes to a target port and refuses every one
// past a cap: put it where a loop would go round, and the loop is counted and cannot run away.

import { createServer, connect, type AddressInfo, type Socket } from "node:net";

export interface CountingRelay {
  /** `127.0.0.1:PORT`: the relay's own address, to name as a Host or an origin. */
  readonly host: string;
  readonly port: number;
  /** Connections accepted and relayed so far. */
  relayed(): number;
  /** Connections refused because the cap was reached. */
  refused(): number;
  /** Connections still open through the relay. */
  open(): number;
  /** Point the relay at another port, closing the connections open to the old one (a client's pooled ones too). */
  retarget(port: number): void;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}

/** Start a relay to 127.0.0.1:`targetPort` that relays at most `cap` connections. */
export async function startCountingRelay(targetPort: number, cap: number): Promise<CountingRelay> {
  let target = targetPort;
  let relayed = 0;
  let refused = 0;
  let open = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Resets are expected when a loop unwinds; they must not crash the test process.
    socket.on("error", () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    if (relayed >= cap) {
      refused++;
      client.destroy();
      return;
    }
    relayed++;
    open++;
    const upstream = connect(target, "127.0.0.1");
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => {
      open--;
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    port,
    relayed: () => relayed,
    refused: () => refused,
    open: () => open,
    retarget: (next) => {
      target = next;
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
