/**
 * A connected UDP socket to a syslog receiver (RFC 5426: one message per datagram). Connecting once
 * resolves the host once and lets the kernel report ICMP port-unreachable as ECONNREFUSED on a later
 * send, which is the only loss signal UDP gives.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { SyslogConnectionError } from './syslog-stream';

export class SyslogDatagramSocket {
  broken: Error | undefined;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('error', (err) => { if (!this.broken) this.broken = err; });
  }

  static async connect(host: string, port: number, timeoutMs: number): Promise<SyslogDatagramSocket> {
    const address = net.isIP(host) ? host : (await lookup(host)).address;
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new SyslogConnectionError(`UDP connect to ${host}:${port} timed out`, 'ETIMEDOUT'));
      }, timeoutMs);
      socket.once('error', (err) => { clearTimeout(timer); socket.close(); reject(err); });
      socket.connect(port, address, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SyslogDatagramSocket(socket));
      });
    });
  }

  /** Sends one datagram; resolves when the kernel took it. */
  send(datagram: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.broken) { reject(this.broken); return; }
      this.socket.send(datagram, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try { this.socket.close(() => resolve()); } catch { resolve(); }
    });
  }
}
