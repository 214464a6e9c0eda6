# Python twin of bench/op_overhead.ts: µs per a.add(b) on 1-element CPU tensors.
import json
import sys
import time

import torch

torch.set_num_threads(1)
iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000


def time_add(requires_grad):
    a = torch.ones(1, requires_grad=requires_grad)
    b = torch.ones(1)
    for _ in range(10_000):
        a.add(b)
    start = time.perf_counter_ns()
    for _ in range(iterations):
        a.add(b)
    end = time.perf_counter_ns()
    return (end - start) / 1000 / iterations


print(json.dumps({'side': 'pytorch', 'add_us': time_add(False), 'add_grad_us': time_add(True), 'iterations': iterations}))
