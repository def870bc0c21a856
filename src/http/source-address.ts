import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/**
 * The address a request comes from, for throttling. The TCP peer, unless the peer is a configured trusted
 * proxy: then X-Forwarded-For is read from the right (each proxy appends the address it received from) and the
 * first hop that is not a trusted proxy is the client. Hops to its left were written by that client and prove
 * nothing. From any other peer the header is ignored, so nobody can pick the address they are counted under.
 */
export function createSourceAddress(trustedProxies: readonly string[]): (c: Context) => string | undefined {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    trusted.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
  }
  // BlockList.check parses the address each call (~15 µs on the token path): not asked when nothing is trusted.
  const isTrusted = trustedProxies.length === 0 ? () => false : (address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

  return (c) => {
    // @hono/node-server's bindings; absent when the app is called in-process (`app.request`).
    const peer = normalise((c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress);
    if (peer === undefined || !isTrusted(peer)) return peer;
    let client = peer;
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalise(stripPort(hops[i]!));
      // A hop that is not an address means the chain cannot be followed further: the last proxy is the client.
      if (hop === undefined) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) as plain IPv4. */
function normalise(address: string | undefined): string | undefined {
  if (address === undefined || isIP(address) === 0) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

/** Some proxies write `192.0.2.1:51234` or `[2001:db8::1]:51234`. */
function stripPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return v4 ? v4[1]! : hop;
}
