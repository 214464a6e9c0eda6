// Packed and padded variable-length sequences for the recurrent modules, after
// torch/nn/utils/rnn.py (PyTorch 1.13): PackedSequence, pack_padded_sequence,
// pad_packed_sequence, pad_sequence, unpad_sequence, pack_sequence, unpack_sequence.
import { inspect } from 'node:util';
import type { DeviceLike } from '../../device.js';
import { DType, contiguous_format, float16, float32, float64, int8, int16, int32, int64, uint8 } from '../../dtype.js';
import { TorchError, ValueError, argumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { torch } from '../../torch.js';
import { parseOptionalArgs, type OptionalArgs } from './_python.js';

/** Python's `type(x)` as pad_sequence's message prints it. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === 'string') return "<class 'str'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  return `<class '${(v as object).constructor?.name ?? 'object'}'>`;
}

function checkTensor(where: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw argumentError(where, name, 'a Tensor', value);
}

function checkBool(where: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw argumentError(where, name, 'a boolean', value);
}

/**
 * Inverts a permutation given as an int64 index tensor: `out[perm[i]] = i`. null gives null.
 *
 * Example: `invert_permutation(torch.tensor([2, 0, 1]))  // tensor([1, 2, 0])`
 */
export function invert_permutation(permutation: Tensor | null | undefined): Tensor | null {
  if (permutation == null) return null;
  const output = torch.empty_like(permutation, { memory_format: contiguous_format });
  const positions = torch.arange(0, permutation.numel(), { device: permutation.device });
  output.scatter_(0, permutation, positions);
  positions.dispose();
  return output;
}

/**
 * The packed form of a batch of variable-length sequences, which the recurrent modules
 * (nn.RNN, nn.LSTM, nn.GRU) take and give back. Like Python's named tuple it is an array of
 * its four fields, so `const [data, batch_sizes] = packed` works, and `torch.tidy` keeps its
 * tensors when it is returned.
 *
 * Make one with pack_padded_sequence() or pack_sequence(), not by hand.
 *
 * Fields:
 *   data: the time steps of all sequences, packed: shape (sum of lengths, *).
 *   batch_sizes: int64 CPU tensor, how many sequences are still running at each time step.
 *   sorted_indices: how the batch was sorted by decreasing length (null when it was sorted).
 *   unsorted_indices: the inverse permutation, to restore the original order (or null).
 *
 * Example:
 * ```ts
 * const packed = pack_sequence([torch.randn(3, 5), torch.randn(2, 5)]);
 * packed.batch_sizes.tolist()  // [2, 2, 1]
 * ```
 */
export class PackedSequence extends Array<Tensor | null> {
  // map()/slice()/filter() on a PackedSequence give plain arrays, as on a Python tuple.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /**
   * Args:
   *   data: the packed data, or `[data, batch_sizes]`.
   *   batch_sizes: int64 CPU tensor of batch sizes per time step (omit when data is a pair).
   *   sorted_indices: the sorting permutation, or null.
   *   unsorted_indices: its inverse; computed from sorted_indices when omitted.
   */
  constructor(data: Tensor | readonly [Tensor, Tensor], batch_sizes?: Tensor | null, sorted_indices?: Tensor | null, unsorted_indices?: Tensor | null) {
    super();
    const sorted = sorted_indices ?? null;
    if (sorted !== null) checkTensor('PackedSequence', 'sorted_indices', sorted);
    let unsorted = unsorted_indices ?? null;
    if (unsorted === null) unsorted = invert_permutation(sorted);
    else checkTensor('PackedSequence', 'unsorted_indices', unsorted);
    let fields: [Tensor, Tensor];
    if (batch_sizes != null) {
      checkTensor('PackedSequence', 'batch_sizes', batch_sizes);
      if (batch_sizes.device.type !== 'cpu') {
        throw new ValueError(
          'batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. ' +
            'They should be instantiated by functions like pack_sequence and pack_padded_sequences in nn.utils.rnn. ' +
            'https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence',
        );
      }
      fields = [data as Tensor, batch_sizes];
    } else {
      if (!Array.isArray(data) || data.length !== 2) throw argumentError('PackedSequence', 'data', 'a Tensor with batch_sizes, or a [data, batch_sizes] pair', data);
      fields = [data[0], data[1]];
    }
    checkTensor('PackedSequence', 'data', fields[0]);
    checkTensor('PackedSequence', 'batch_sizes', fields[1]);
    this.push(fields[0], fields[1], sorted, unsorted);
    Object.freeze(this);
  }

  /** The packed data: shape (sum of lengths, *). */
  get data(): Tensor {
    return this[0] as Tensor;
  }

  /** int64 CPU tensor: the number of sequences running at each time step. */
  get batch_sizes(): Tensor {
    return this[1] as Tensor;
  }

  /** The permutation that sorted the batch by decreasing length, or null. */
  get sorted_indices(): Tensor | null {
    return this[2];
  }

  /** The inverse of sorted_indices, or null. */
  get unsorted_indices(): Tensor | null {
    return this[3];
  }

  /** Whether the data is on a CUDA device. */
  get is_cuda(): boolean {
    return this.data.is_cuda;
  }

  /** Whether the data is in pinned memory. */
  is_pinned(): boolean {
    return this.data.is_pinned();
  }

  /** A copy with data (and the index tensors) in pinned memory. */
  pin_memory(): PackedSequence {
    return new PackedSequence(this.data.pin_memory(), this.batch_sizes, this.sorted_indices?.pin_memory() ?? null, this.unsorted_indices?.pin_memory() ?? null);
  }

  /**
   * Converts data like Tensor.to() (a dtype, device, or `{ dtype, device, non_blocking, copy }`);
   * the index tensors follow data's device, batch_sizes stays on the CPU. Returns this when
   * nothing changes.
   */
  to(...args: Parameters<Tensor['to']>): PackedSequence {
    const data = this.data.to(...args);
    if (data.data_ptr() === this.data.data_ptr() && data.dtype === this.data.dtype && data.device.toString() === this.data.device.toString()) {
      data.dispose();
      return this;
    }
    const last = args[args.length - 1];
    const non_blocking = typeof last === 'object' && last !== null && !(last instanceof Tensor) && !(last instanceof DType) ? (last as { non_blocking?: boolean }).non_blocking : undefined;
    const follow = (t: Tensor | null) => (t === null ? null : t.to({ device: data.device, ...(non_blocking !== undefined ? { non_blocking } : {}) }));
    return new PackedSequence(data, this.batch_sizes, follow(this.sorted_indices), follow(this.unsorted_indices));
  }

  /** Data on the GPU (`cuda()`, `cuda(1)`). */
  cuda(device?: number | DeviceLike): PackedSequence {
    return this.to({ device: device === undefined ? 'cuda' : typeof device === 'number' ? `cuda:${device}` : device });
  }

  /** Data on the CPU. */
  cpu(): PackedSequence {
    return this.to('cpu');
  }

  /** Data as float64. */
  double(): PackedSequence {
    return this.to(float64);
  }
  /** Data as float32. */
  float(): PackedSequence {
    return this.to(float32);
  }
  /** Data as float16. */
  half(): PackedSequence {
    return this.to(float16);
  }
  /** Data as int64. */
  long(): PackedSequence {
    return this.to(int64);
  }
  /** Data as int32. */
  int(): PackedSequence {
    return this.to(int32);
  }
  /** Data as int16. */
  short(): PackedSequence {
    return this.to(int16);
  }
  /** Data as int8. */
  char(): PackedSequence {
    return this.to(int8);
  }
  /** Data as uint8. */
  byte(): PackedSequence {
    return this.to(uint8);
  }

  /** Python's repr: `PackedSequence(data=tensor(...), batch_sizes=tensor([...]), sorted_indices=None, unsorted_indices=None)`. */
  override toString(): string {
    const field = (t: Tensor | null) => (t === null ? 'None' : t.toString());
    return `PackedSequence(data=${field(this.data)}, batch_sizes=${field(this.batch_sizes)}, sorted_indices=${field(this.sorted_indices)}, unsorted_indices=${field(this.unsorted_indices)})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Lengths as an int64 tensor (Python's `torch.as_tensor(lengths, dtype=torch.int64)`), and whether it is a new tensor. */
function lengthsTensor(where: string, lengths: unknown): [Tensor, boolean] {
  if (lengths instanceof Tensor) {
    if (lengths.dtype === int64) return [lengths, false];
    return [lengths.to(int64), true];
  }
  if (Array.isArray(lengths) && lengths.every((v) => typeof v === 'number')) return [torch.tensor(lengths as number[], { dtype: int64 }), true];
  throw argumentError(where, 'lengths', 'a Tensor or an array of numbers', lengths);
}

/** Options of pack_padded_sequence. */
export interface PackPaddedOptions {
  batch_first?: boolean;
  enforce_sorted?: boolean;
}

/**
 * Packs a padded batch of variable-length sequences (Python:
 * `pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True)`).
 *
 * Args:
 *   input: padded batch, shape (T, B, *), or (B, T, *) with batch_first.
 *   lengths: the length of each sequence: an int64 CPU tensor or an array of numbers.
 *   batch_first: whether input is (B, T, *) (default false).
 *   enforce_sorted: whether lengths must already be in decreasing order (default true); with
 *     false the batch is sorted here and the permutation kept in the result.
 *
 * Returns: a PackedSequence.
 *
 * Example: `pack_padded_sequence(padded, [3, 1, 2], { batch_first: true, enforce_sorted: false })`
 */
export function pack_padded_sequence(input: Tensor, lengths: Tensor | number[], ...args: OptionalArgs<[batch_first: boolean, enforce_sorted: boolean], PackPaddedOptions>): PackedSequence {
  const { batch_first, enforce_sorted } = parseOptionalArgs('pack_padded_sequence', 2, { batch_first: false as boolean, enforce_sorted: true as boolean }, args);
  checkTensor('pack_padded_sequence', 'input', input);
  checkBool('pack_padded_sequence', 'batch_first', batch_first);
  checkBool('pack_padded_sequence', 'enforce_sorted', enforce_sorted);
  const [lengths64, ownsLengths] = lengthsTensor('pack_padded_sequence', lengths);
  const temporaries: Tensor[] = ownsLengths ? [lengths64] : [];
  try {
    let sortedLengths = lengths64;
    let sorted_indices: Tensor | null = null;
    let sortedInput = input;
    if (!enforce_sorted) {
      const [values, indices] = torch.sort(lengths64, { descending: true });
      sortedLengths = values;
      sorted_indices = indices.to(input.device);
      temporaries.push(values, indices);
      sortedInput = input.index_select(batch_first ? 0 : 1, sorted_indices);
      temporaries.push(sortedInput);
    }
    const [data, batch_sizes] = torch._pack_padded_sequence(sortedInput, sortedLengths, batch_first);
    return new PackedSequence(data, batch_sizes, sorted_indices, null);
  } finally {
    // sorted_indices is its own handle (a `.to()` of indices), so disposing indices leaves it alive.
    for (const t of temporaries) if (!t.isDisposed) t.dispose();
  }
}

/** Options of pad_packed_sequence. */
export interface PadPackedOptions {
  batch_first?: boolean;
  padding_value?: number;
  total_length?: number | null;
}

/**
 * Pads a packed batch back into a tensor: the inverse of pack_padded_sequence (Python:
 * `pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)`).
 *
 * Args:
 *   sequence: the PackedSequence.
 *   batch_first: whether to return (B, T, *) instead of (T, B, *) (default false).
 *   padding_value: the value of the padded elements (default 0).
 *   total_length: pad to this length instead of the longest sequence's (default null).
 *
 * Returns: `[padded, lengths]`, lengths an int64 tensor in the original batch order.
 *
 * Throws ValueError when total_length is shorter than the longest sequence.
 */
export function pad_packed_sequence(
  sequence: PackedSequence,
  ...args: OptionalArgs<[batch_first: boolean, padding_value: number, total_length: number | null], PadPackedOptions>
): [Tensor, Tensor] {
  const { batch_first, padding_value, total_length } = parseOptionalArgs(
    'pad_packed_sequence',
    1,
    { batch_first: false as boolean, padding_value: 0.0 as number, total_length: null as number | null },
    args,
  );
  if (!(sequence instanceof PackedSequence)) throw argumentError('pad_packed_sequence', 'sequence', 'a PackedSequence', sequence);
  checkBool('pad_packed_sequence', 'batch_first', batch_first);
  if (typeof padding_value !== 'number') throw argumentError('pad_packed_sequence', 'padding_value', 'a number', padding_value);
  let max_seq_length = sequence.batch_sizes.size(0);
  if (total_length !== null) {
    if (typeof total_length !== 'number' || !Number.isInteger(total_length)) throw argumentError('pad_packed_sequence', 'total_length', 'an integer or null', total_length);
    if (total_length < max_seq_length) {
      throw new ValueError(
        'Expected total_length to be at least the length of the longest sequence in input, but got ' +
          `total_length=${total_length} and max sequence length being ${max_seq_length}`,
      );
    }
    max_seq_length = total_length;
  }
  const [padded_output, lengths] = torch._pad_packed_sequence(sequence.data, sequence.batch_sizes, batch_first, padding_value, max_seq_length);
  const unsorted_indices = sequence.unsorted_indices;
  if (unsorted_indices === null) return [padded_output, lengths];
  const batch_dim = batch_first ? 0 : 1;
  const unsortedCpu = unsorted_indices.cpu();
  try {
    return [padded_output.index_select(batch_dim, unsorted_indices), lengths.index(unsortedCpu)];
  } finally {
    padded_output.dispose();
    lengths.dispose();
    unsortedCpu.dispose();
  }
}

/** Options of pad_sequence. */
export interface PadSequenceOptions {
  batch_first?: boolean;
  padding_value?: number;
}

/**
 * Stacks variable-length tensors into one, padding the shorter ones (Python:
 * `pad_sequence(sequences, batch_first=False, padding_value=0.0)`).
 *
 * Args:
 *   sequences: tensors of shape (L_i, *) with the same trailing sizes (an iterable, or a
 *     Tensor, whose first dimension is then split).
 *   batch_first: whether the result is (B, T, *) instead of (T, B, *) (default false).
 *   padding_value: the value of padded elements (default 0).
 *
 * Example: `pad_sequence([torch.ones(25, 300), torch.ones(22, 300), torch.ones(15, 300)]).shape  // [25, 3, 300]`
 */
export function pad_sequence(sequences: Iterable<Tensor> | Tensor, ...args: OptionalArgs<[batch_first: boolean, padding_value: number], PadSequenceOptions>): Tensor {
  const { batch_first, padding_value } = parseOptionalArgs('pad_sequence', 1, { batch_first: false as boolean, padding_value: 0.0 as number }, args);
  checkBool('pad_sequence', 'batch_first', batch_first);
  if (typeof padding_value !== 'number') throw argumentError('pad_sequence', 'padding_value', 'a number', padding_value);
  let list: Tensor[];
  let owned = false;
  if (sequences instanceof Tensor) {
    list = sequences.unbind(0);
    owned = true;
  } else if (sequences != null && typeof (sequences as Iterable<Tensor>)[Symbol.iterator] === 'function' && typeof sequences !== 'string') {
    list = [...sequences];
    list.forEach((t, i) => checkTensor('pad_sequence', `sequences[${i}]`, t));
  } else {
    throw new TorchError(`pad_sequence: Expected iterable for input sequences, but got arg of type: ${pyType(sequences)}`);
  }
  try {
    return torch._nn.pad_sequence(list, batch_first, padding_value);
  } finally {
    if (owned) for (const t of list) t.dispose();
  }
}

/**
 * Splits a padded batch back into its variable-length tensors (Python:
 * `unpad_sequence(padded_sequences, lengths, batch_first=False)`). Unlike Python it does not
 * transpose `padded_sequences` in place.
 *
 * Returns: one tensor of shape (length_i, *) per sequence.
 */
export function unpad_sequence(padded_sequences: Tensor, lengths: Tensor | number[], ...args: OptionalArgs<[batch_first: boolean], { batch_first?: boolean }>): Tensor[] {
  const { batch_first } = parseOptionalArgs('unpad_sequence', 2, { batch_first: false as boolean }, args);
  checkTensor('unpad_sequence', 'padded_sequences', padded_sequences);
  checkBool('unpad_sequence', 'batch_first', batch_first);
  const lengthValues = lengths instanceof Tensor ? Array.from(lengths.toTypedArray() as ArrayLike<number | bigint>, Number) : lengths;
  if (!Array.isArray(lengthValues)) throw argumentError('unpad_sequence', 'lengths', 'a Tensor or an array of numbers', lengths);
  const batchMajor = batch_first ? padded_sequences : padded_sequences.transpose(0, 1);
  const idx = torch.arange(batchMajor.shape[1]);
  const unpadded: Tensor[] = [];
  const count = Math.min(batchMajor.size(0), lengthValues.length);
  for (let i = 0; i < count; i++) {
    const seq = batchMajor.index(i);
    const mask = idx.lt(lengthValues[i]);
    unpadded.push(seq.index(mask));
    seq.dispose();
    mask.dispose();
  }
  idx.dispose();
  if (batchMajor !== padded_sequences) batchMajor.dispose();
  return unpadded;
}

/**
 * Packs a list of variable-length tensors (Python: `pack_sequence(sequences, enforce_sorted=True)`):
 * `pack_padded_sequence(pad_sequence(sequences), lengths, { enforce_sorted })`.
 *
 * Args:
 *   sequences: tensors of shape (L_i, *), by decreasing length unless enforce_sorted is false.
 *   enforce_sorted: whether the lengths must be in decreasing order (default true).
 *
 * Example: `pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])])`
 */
export function pack_sequence(sequences: Tensor[], ...args: OptionalArgs<[enforce_sorted: boolean], { enforce_sorted?: boolean }>): PackedSequence {
  const { enforce_sorted } = parseOptionalArgs('pack_sequence', 1, { enforce_sorted: true as boolean }, args);
  if (!Array.isArray(sequences)) throw argumentError('pack_sequence', 'sequences', 'an array of Tensors', sequences);
  sequences.forEach((t, i) => checkTensor('pack_sequence', `sequences[${i}]`, t));
  const lengths = torch.tensor(sequences.map((v) => v.size(0)), { dtype: int64 });
  const padded = pad_sequence(sequences);
  try {
    return pack_padded_sequence(padded, lengths, { enforce_sorted });
  } finally {
    lengths.dispose();
    padded.dispose();
  }
}

/**
 * Unpacks a PackedSequence into its variable-length tensors, in the original order (Python:
 * `unpack_sequence(packed_sequences)`).
 */
export function unpack_sequence(packed_sequences: PackedSequence): Tensor[] {
  const [padded, lengths] = pad_packed_sequence(packed_sequences, { batch_first: true });
  try {
    return unpad_sequence(padded, lengths, { batch_first: true });
  } finally {
    padded.dispose();
    lengths.dispose();
  }
}
