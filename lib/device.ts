// torch.device. An op's Device argument reaches libtorch as a number (lib/_ops/dispatch.ts
// deviceCode); other native calls take the device string ('cpu', 'cuda:1').
import { TorchError, argumentError } from './errors.js';
export class Device {
  readonly type: string;
  readonly index: number | null;
  constructor(type: string, index?: number | null) {
    if (typeof type !== 'string') throw argumentError('torch.device', 'type', "a device string like 'cpu', 'cuda' or 'cuda:1'", type);
    const match = /^([a-z]+)(?::(\d+))?$/.exec(type);
    if (!match) throw new TorchError(`Invalid device string: '${type}' (expected a device string like 'cpu', 'cuda' or 'cuda:1')`);
    if (match[2] !== undefined && index != null) throw new TorchError(`torch.device: type (string) must not include an index because index was passed explicitly: ${type}`);
    this.type = match[1];
    this.index = match[2] !== undefined ? Number(match[2]) : index ?? null;
  }
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `device(type='${this.type}'${this.index === null ? '' : `, index=${this.index}`})`;
  }
}

export type DeviceLike = Device | string;

export function device(type: string, index?: number): Device {
  return new Device(type, index);
}

export function deviceString(d: DeviceLike): string {
  return typeof d === 'string' ? new Device(d).toString() : d.toString();
}
