// Tokens, roles and symbol entitlements. The token file holds SHA-256 hashes
// of tokens, never tokens:
//
//   { "tokens": [
//       { "name": "desk-a", "sha256": "<64 hex>", "roles": ["subscribe"], "symbols": ["AAPL", "MSFT"] },
//       { "name": "feed",   "sha256": "<64 hex>", "roles": ["publish"] },
//       { "name": "ops",    "sha256": "<64 hex>", "roles": ["admin", "subscribe"], "symbols": "*" } ] }
//
// `symbols` defaults to "*" (every symbol). A client presents its token as
// `Authorization: Bearer <token>` or `?token=<token>` (browsers cannot set
// headers on a WebSocket). Without a token file there is no authentication
// and the server binds to 127.0.0.1 only.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { invalidFile } from '../../config/invalid';
import type { ConfigError } from '../../errors';

export type Role = 'subscribe' | 'publish' | 'admin';
const ROLES: readonly Role[] = ['subscribe', 'publish', 'admin'];

export interface Principal {
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  /** null: every symbol. */
  readonly symbols: ReadonlySet<string> | null;
}

/** The principal of an unauthenticated server: everything allowed. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ name: 'local', roles: new Set(ROLES), symbols: null });

export function entitled(principal: Principal, symbol: string): boolean {
  return principal.symbols === null || principal.symbols.has(symbol);
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

interface Entry {
  readonly hash: Buffer;
  readonly principal: Principal;
}

export class TokenRegistry {
  private constructor(private readonly entries: readonly Entry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** The principal whose token this is, or null. Compares every hash in constant time. */
  authenticate(token: string): Principal | null {
    const hash = hashToken(token);
    let found: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.hash, hash)) found = entry.principal;
    }
    return found;
  }

  static load(path: string): TokenRegistry {
    const fail = (why: string): ConfigError => invalidFile('token-file', path, why);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw fail(`cannot read it as JSON (${(err as Error).message})`);
    }
    const list = (parsed as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(list) || list.length === 0) throw fail('expected {"tokens": [...]} with at least one token');
    const names = new Set<string>();
    const entries = list.map((raw: unknown, i): Entry => {
      const t = raw as { name?: unknown; sha256?: unknown; roles?: unknown; symbols?: unknown } | null;
      const where = `tokens[${i}]`;
      if (t === null || typeof t !== 'object') throw fail(`${where}: expected an object`);
      if (typeof t.name !== 'string' || t.name === '') throw fail(`${where}.name: expected a non-empty string`);
      if (names.has(t.name)) throw fail(`${where}.name: ${JSON.stringify(t.name)} appears twice`);
      names.add(t.name);
      if (typeof t.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(t.sha256)) {
        throw fail(`${where}.sha256: expected 64 hex digits (printf %s "$TOKEN" | sha256sum)`);
      }
      if (!Array.isArray(t.roles) || t.roles.length === 0 || !t.roles.every((r) => ROLES.includes(r as Role))) {
        throw fail(`${where}.roles: expected a non-empty list of ${ROLES.join(', ')}`);
      }
      let symbols: Set<string> | null = null;
      if (t.symbols !== undefined && t.symbols !== '*') {
        if (!Array.isArray(t.symbols) || !t.symbols.every((s) => typeof s === 'string' && s !== '')) {
          throw fail(`${where}.symbols: expected "*" or a list of symbols`);
        }
        symbols = new Set(t.symbols as string[]);
      }
      return {
        hash: Buffer.from(t.sha256, 'hex'),
        principal: Object.freeze({ name: t.name, roles: new Set(t.roles as Role[]), symbols }),
      };
    });
    return new TokenRegistry(entries);
  }
}

/** The token of a request: the Bearer header, else the `token` query parameter; '' when none. */
export function tokenOf(authorization: string, queryToken: string): string {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1] ?? queryToken;
}
