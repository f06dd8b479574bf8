/**
 * Run the web app on a port: `updraft api-server` and standalone start it; tests start
 * it on port 0 (any free port) and read the port back.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebApp } from './app.ts';
import type { WebResources } from './resources.ts';

export class ApiServer {
  private server: Server | null = null;
  port = 0;

  constructor(private readonly r: WebResources) {}

  async start(port = this.r.config.apiPort, host = this.r.config.apiHost): Promise<void> {
    const app = createWebApp(this.r);
    await new Promise<void>((resolve, reject) => {
      const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve()));
      server.on('error', reject);
      this.server = server;
    });
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeIdleConnections();
    // Live-update streams stay open: end them rather than wait for clients.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
