// Plain node:http servers that tests put in front of or beside the simulator (recording proxies, other hosts).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free loopback port and answers the server's base URL. */
export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server without waiting for keep-alive connections to time out. */
export function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
