// Rendezvous (torch/distributed/rendezvous.py): turns an init_method URL into the store
// through which the ranks meet, with this process's rank and the world size.
//   env://                      MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE (what torchrun sets)
//   tcp://host:port?rank=R&world_size=W
//   file:///path?rank=R&world_size=W
import { ValueError } from '../errors.js';
import { FileStore, PrefixStore, TCPStore, type Store } from './store.js';

/** What a rendezvous yields: the store, this process's rank and the world size. */
export interface RendezvousResult {
  store: Store;
  rank: number;
  world_size: number;
}

function rendezvousError(message: string): ValueError {
  return new ValueError('Error initializing torch.distributed using ' + message);
}

function parseInteger(value: string, what: string, where: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw rendezvousError(`${where}${what} must be an integer, got '${value}'`);
  return Number(value);
}

/**
 * The store torchrun's ranks share: rank 0 serves a multi-tenant TCPStore on host:port and
 * the others connect to it; under a torchelastic agent (TORCHELASTIC_USE_AGENT_STORE=True)
 * every rank is a client of the agent's store.
 */
export async function _create_c10d_store(hostname: string, port: number, rank: number, world_size: number, timeout: number): Promise<Store> {
  if (!(port >= 0 && port < 2 ** 16)) throw new ValueError(`port must have value from 0 to 65535 but was ${port}.`);
  if (process.env.TORCHELASTIC_USE_AGENT_STORE === String(true)) {
    const attempt = process.env.TORCHELASTIC_RESTART_COUNT ?? '0';
    const store = await TCPStore.create(hostname, port, { world_size, is_master: false, timeout });
    return new PrefixStore(`/worker/attempt_${attempt}`, store);
  }
  return TCPStore.create(hostname, port, { world_size, is_master: rank === 0, timeout, multi_tenant: true });
}

/**
 * Resolves an init_method URL (Python: `torch.distributed.rendezvous(url, rank, world_size)`).
 * rank and world_size given here (not -1) are added to the URL, which must not hold them already.
 */
export async function rendezvous(url: string, rank = -1, world_size = -1, timeout = 1_800_000): Promise<RendezvousResult> {
  if (typeof url !== 'string') throw new ValueError(`Expected a string for init_method but received ${typeof url}`);
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!match) throw new ValueError(`No rendezvous handler for ${url}`);
  const [, scheme, netloc, path, queryString = ''] = match;
  const query = new URLSearchParams(queryString);
  if (rank !== -1 || world_size !== -1) {
    if (query.has('rank') || query.has('world_size')) throw new ValueError(`The url: ${url} has node-specific arguments(rank, world_size) already.`);
    if (rank !== -1) query.set('rank', String(rank));
    if (world_size !== -1) query.set('world_size', String(world_size));
  }
  switch (scheme) {
    case 'env':
      return envRendezvous(query, timeout);
    case 'tcp':
      return tcpRendezvous(netloc, query, timeout);
    case 'file':
      return fileRendezvous(netloc, decodeURIComponent(path), query);
    default:
      throw new ValueError(`No rendezvous handler for ${scheme}://`);
  }
}

async function envRendezvous(query: URLSearchParams, timeout: number): Promise<RendezvousResult> {
  const where = 'env:// rendezvous: ';
  const fromEnv = (name: string): string => {
    const value = process.env[name];
    if (!value) throw rendezvousError(`${where}environment variable ${name} expected, but not set`);
    return value;
  };
  const rank = parseInteger(query.get('rank') ?? fromEnv('RANK'), 'rank', where);
  const world_size = parseInteger(query.get('world_size') ?? fromEnv('WORLD_SIZE'), 'world_size', where);
  const master_addr = fromEnv('MASTER_ADDR');
  const master_port = parseInteger(fromEnv('MASTER_PORT'), 'MASTER_PORT', where);
  const store = await _create_c10d_store(master_addr, master_port, rank, world_size, timeout);
  return { store, rank, world_size };
}

async function tcpRendezvous(netloc: string, query: URLSearchParams, timeout: number): Promise<RendezvousResult> {
  const where = 'tcp:// rendezvous: ';
  // host:port, [v6]:port
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(netloc);
  if (!m) throw rendezvousError(`${where}port number missing`);
  const hostname = m[1] ?? m[2];
  const port = Number(m[3]);
  if (!query.has('rank')) throw rendezvousError(`${where}rank parameter missing`);
  if (!query.has('world_size')) throw rendezvousError(`${where}world size parameter missing`);
  const rank = parseInteger(query.get('rank')!, 'rank', where);
  const world_size = parseInteger(query.get('world_size')!, 'world_size', where);
  const store = await _create_c10d_store(hostname, port, rank, world_size, timeout);
  return { store, rank, world_size };
}

function fileRendezvous(netloc: string, path: string, query: URLSearchParams): RendezvousResult {
  const where = 'file:// rendezvous: ';
  if (netloc !== '') throw rendezvousError(`${where}file:// URLs take an absolute path (file:///path), got host '${netloc}'`);
  if (!path) throw rendezvousError(`${where}path missing`);
  if (!query.has('rank')) throw rendezvousError(`${where}rank parameter missing`);
  if (!query.has('world_size')) throw rendezvousError(`${where}world size parameter missing`);
  const rank = parseInteger(query.get('rank')!, 'rank', where);
  const world_size = parseInteger(query.get('world_size')!, 'world_size', where);
  return { store: new FileStore(path, world_size), rank, world_size };
}
