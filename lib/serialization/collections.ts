// Python's collections.OrderedDict as torch.save / torch.load see it.

/**
 * Python's `collections.OrderedDict`: a Map (insertion order kept for every key, "0"-like
 * string keys included) that torch.save writes as an OrderedDict and torch.load returns for
 * one. A module's state_dict is one, with the per-module versions in `_metadata`, so that
 * Python's `model.load_state_dict(torch.load(path))` sees exactly what PyTorch saved.
 *
 * Example: `const sd = new OrderedDict([['weight', w], ['bias', b]]); torch.save(sd, 'sd.pt');`
 */
export class OrderedDict<K = string, V = unknown> extends Map<K, V> {
  /** A state_dict's per-module metadata (`{'': {version: 1}, 'fc': {version: 1}}`), if any. */
  declare _metadata?: OrderedDict<string, unknown>;
}
