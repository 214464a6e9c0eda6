// c10d key-value stores (Python: torch.distributed.Store, TCPStore, FileStore, HashStore,
// PrefixStore), the rendezvous through which ranks find each other. Every operation that
// talks to the store returns a Promise and runs off the JS thread; timeouts are in
// milliseconds (Python takes a timedelta).
import { argumentError } from '../errors.js';
import { distributedNative, type StoreHandle } from './_native.js';

/** Python's default store timeout (`timedelta(seconds=300)`), in milliseconds. */
export const default_store_timeout = 300_000;

function checkKey(where: string, key: unknown): asserts key is string {
  if (typeof key !== 'string') throw argumentError(where, 'key', 'a string', key);
}

function checkValue(where: string, name: string, value: unknown): asserts value is string | Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw argumentError(where, name, 'a string or Uint8Array', value);
}

function checkMilliseconds(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw argumentError(where, name, 'a non-negative integer number of milliseconds', value);
}

/**
 * A key-value store shared by the ranks of a job (Python: `torch.distributed.Store`).
 * Values are bytes: `get` resolves to a Buffer (`String(await store.get('k'))` for text).
 */
export abstract class Store {
  /** @internal */
  readonly _s: StoreHandle;

  /** @internal */
  protected constructor(handle: StoreHandle) {
    this._s = handle;
  }

  /** Sets `key` to `value` (a string is stored as its UTF-8 bytes). */
  set(key: string, value: string | Uint8Array): Promise<void> {
    checkKey('Store.set', key);
    checkValue('Store.set', 'value', value);
    return distributedNative().storeSet(this._s, key, value);
  }

  /** The value of `key`, waiting up to the store's timeout for it to be set. */
  get(key: string): Promise<Buffer> {
    checkKey('Store.get', key);
    return distributedNative().storeGet(this._s, key);
  }

  /** Adds `amount` to the integer counter `key` (created at 0) and resolves to the new value. */
  add(key: string, amount: number): Promise<number> {
    checkKey('Store.add', key);
    if (!Number.isInteger(amount)) throw argumentError('Store.add', 'amount', 'an integer', amount);
    return distributedNative().storeAdd(this._s, key, amount);
  }

  /** Sets `key` to `desired_value` if it holds `expected_value` (or is unset and expected is empty); resolves to the value after. */
  compare_set(key: string, expected_value: string | Uint8Array, desired_value: string | Uint8Array): Promise<Buffer> {
    checkKey('Store.compare_set', key);
    checkValue('Store.compare_set', 'expected_value', expected_value);
    checkValue('Store.compare_set', 'desired_value', desired_value);
    return distributedNative().storeCompareSet(this._s, key, expected_value, desired_value);
  }

  /** Waits until every key in `keys` is set; rejects after `timeout` ms (default: the store's timeout). */
  wait(keys: string[], timeout?: number): Promise<void> {
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw argumentError('Store.wait', 'keys', 'an array of strings', keys);
    if (timeout !== undefined) checkMilliseconds('Store.wait', 'timeout', timeout);
    return distributedNative().storeWait(this._s, keys, timeout ?? null);
  }

  /** Whether every key in `keys` is set, without waiting. */
  check(keys: string[]): Promise<boolean> {
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw argumentError('Store.check', 'keys', 'an array of strings', keys);
    return distributedNative().storeCheck(this._s, keys);
  }

  /** Deletes `key`; resolves to whether it existed. */
  delete_key(key: string): Promise<boolean> {
    checkKey('Store.delete_key', key);
    return distributedNative().storeDeleteKey(this._s, key);
  }

  /** The number of keys set (for TCPStore it includes the keys c10d itself uses). */
  num_keys(): Promise<number> {
    return distributedNative().storeNumKeys(this._s);
  }

  /** Sets the default timeout of get and wait, in milliseconds. */
  set_timeout(timeout: number): void {
    checkMilliseconds('Store.set_timeout', 'timeout', timeout);
    distributedNative().storeSetTimeout(this._s, timeout);
  }

  /** The default timeout of get and wait, in milliseconds. */
  get timeout(): number {
    return distributedNative().storeTimeout(this._s);
  }

  /** Drops this handle's reference to the store now instead of at garbage collection (a TCPStore server stops with its last reference). */
  close(): void {
    distributedNative().storeClose(this._s);
  }
}

/** Options of TCPStore (Python's keyword arguments; timeout in milliseconds). */
export interface TCPStoreOptions {
  /** The number of ranks that will connect; with is_master and wait_for_workers, the server waits for them all. */
  world_size?: number | null;
  /** Whether this process runs the server (default false). */
  is_master?: boolean;
  /** Timeout of connecting and of get/wait, in milliseconds (default 300000). */
  timeout?: number;
  /** Whether the server waits for world_size clients before returning (default true). */
  wait_for_workers?: boolean;
  /** Whether several stores in this process may share one server on host:port (default false). */
  multi_tenant?: boolean;
}

function tcpArgs(host_name: unknown, port: unknown, options: TCPStoreOptions) {
  if (typeof host_name !== 'string') throw argumentError('TCPStore', 'host_name', 'a string', host_name);
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) throw argumentError('TCPStore', 'port', 'an integer from 0 to 65535', port);
  const { world_size = null, is_master = false, timeout = default_store_timeout, wait_for_workers = true, multi_tenant = false } = options;
  if (world_size !== null && (!Number.isInteger(world_size) || world_size <= 0)) throw argumentError('TCPStore', 'world_size', 'a positive integer', world_size);
  checkMilliseconds('TCPStore', 'timeout', timeout);
  return [host_name, port as number, world_size, is_master, timeout, wait_for_workers, multi_tenant] as const;
}

/**
 * A store served over TCP by one process (`is_master`) and reached by the others
 * (Python: `TCPStore(host_name, port, world_size, is_master, timeout, wait_for_workers, multi_tenant)`).
 * Port 0 lets the server pick a free port (read it back from `port`).
 *
 * The constructor blocks the JS thread like Python's does (the server waits for world_size
 * clients when wait_for_workers; a client retries until it connects or times out); use
 * `await TCPStore.create(...)` to connect without blocking the event loop.
 *
 * Example: `const store = await TCPStore.create('127.0.0.1', 29500, { world_size: 2, is_master: rank === 0 })`
 */
export class TCPStore extends Store {
  /** The server's host name or address. */
  readonly host: string;

  constructor(host_name: string, port: number, options?: TCPStoreOptions);
  /** @internal */
  constructor(host_name: string, port: number, options: TCPStoreOptions, handle: StoreHandle);
  constructor(host_name: string, port: number, options: TCPStoreOptions = {}, handle?: StoreHandle) {
    super(handle ?? distributedNative().tcpStore(...tcpArgs(host_name, port, options), false));
    this.host = host_name;
  }

  /** Connects (and, with is_master, starts the server) off the JS thread. */
  static async create(host_name: string, port: number, options: TCPStoreOptions = {}): Promise<TCPStore> {
    const handle = await distributedNative().tcpStore(...tcpArgs(host_name, port, options), true);
    return new TCPStore(host_name, port, options, handle);
  }

  /** The port the server listens on (the real one when created with port 0). */
  get port(): number {
    return distributedNative().tcpStorePort(this._s);
  }
}

/**
 * A store kept in a file that every rank can reach (Python: `FileStore(file_name, world_size=-1)`).
 * The file is removed when the last of world_size users closes it.
 */
export class FileStore extends Store {
  readonly path: string;

  constructor(file_name: string, world_size = -1) {
    if (typeof file_name !== 'string' || file_name === '') throw argumentError('FileStore', 'file_name', 'a file path', file_name);
    if (!Number.isInteger(world_size) || world_size === 0 || world_size < -1) throw argumentError('FileStore', 'world_size', 'a positive integer or -1', world_size);
    super(distributedNative().fileStore(file_name, world_size));
    this.path = file_name;
  }
}

/** A store in this process's memory, for ranks that are threads of one process (Python: `HashStore()`). */
export class HashStore extends Store {
  constructor() {
    super(distributedNative().hashStore());
  }
}

/** A view of another store that prefixes every key with `prefix + '/'` (Python: `PrefixStore(prefix, store)`). */
export class PrefixStore extends Store {
  readonly underlying_store: Store;

  constructor(prefix: string, store: Store) {
    if (typeof prefix !== 'string') throw argumentError('PrefixStore', 'prefix', 'a string', prefix);
    if (!(store instanceof Store)) throw argumentError('PrefixStore', 'store', 'a Store', store);
    super(distributedNative().prefixStore(prefix, store._s));
    this.underlying_store = store;
  }
}
