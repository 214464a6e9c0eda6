# Python twin of bench/ops.ts: prints {op: µs per call} as JSON for the ops named (all by default).
#   /usr/bin/python3 bench/ops.py [--calls N] [op ...]
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(4, 3)
w = torch.randn(5, 3)
b = torch.randn(5)
f64 = torch.float64

OPS = {
    'x.add(x)': lambda: x.add(x),
    'x.mul(2)': lambda: x.mul(2),
    'x.relu()': lambda: x.relu(),
    'x.sum()': lambda: x.sum(),
    'x.sum(0)': lambda: x.sum(0),
    'x.mean(1, keepdim)': lambda: x.mean(1, keepdim=True),
    'x.max(0)': lambda: x.max(0),
    'x.softmax(-1)': lambda: x.softmax(-1),
    'x.view(-1)': lambda: x.view(-1),
    'x.reshape(3, 4)': lambda: x.reshape(3, 4),
    'x.transpose(0, 1)': lambda: x.transpose(0, 1),
    'x.permute(1, 0)': lambda: x.permute(1, 0),
    'x.unsqueeze(0)': lambda: x.unsqueeze(0),
    'x.chunk(2)': lambda: x.chunk(2),
    'torch.cat([x, x])': lambda: torch.cat([x, x]),
    'F.linear(x, w, b)': lambda: F.linear(x, w, b),
    'x.to(float64)': lambda: x.to(f64),
    'x.clone()': lambda: x.clone(),
    'torch.zeros(4, 3)': lambda: torch.zeros(4, 3),
    'x.shape': lambda: x.shape,
}


def main():
    args = sys.argv[1:]
    calls = 100_000
    if '--calls' in args:
        i = args.index('--calls')
        calls = int(args[i + 1])
        del args[i:i + 2]
    times = {}
    for op in args or list(OPS):
        run = OPS[op]
        for _ in range(calls // 10):
            run()
        best = float('inf')
        for _ in range(3):  # the best of three batches (the machine is shared)
            start = time.perf_counter()
            for _ in range(calls):
                run()
            best = min(best, (time.perf_counter() - start) * 1e6 / calls)
        times[op] = best
    print(json.dumps(times))


if __name__ == '__main__':
    main()
