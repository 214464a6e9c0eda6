"""The Python rank of the mixed Node + Python group (test/distributed_interop.test.ts): the
same program as worker_interop.ts, with PyTorch 1.13 (/usr/bin/python3). Prints one
RESULT:<json> line."""
import json
import os
import sys

import torch
import torch.distributed as dist
from torch.utils.data.distributed import DistributedSampler

rank = int(os.environ['RANK'])
world = int(os.environ['WORLD_SIZE'])
dist.init_process_group('gloo', init_method=os.environ['TEST_INIT_METHOD'], rank=rank, world_size=world)
D = torch.float64
out = {}

t = torch.tensor([rank + 1.0, 10.0 * rank], dtype=D)
dist.all_reduce(t)
out['all_reduce'] = t.tolist()
t = torch.full((2,), float(rank), dtype=D)
dist.broadcast(t, src=1)
out['broadcast'] = t.tolist()
gathered = [torch.zeros(1, dtype=D) for _ in range(world)]
dist.all_gather(gathered, torch.tensor([rank * 3.0], dtype=D))
out['all_gather'] = [g.item() for g in gathered]

fixture = json.load(open(os.environ['DDP_FIXTURE']))
def tensor(f):
    return torch.tensor([float(v) for v in f['data']], dtype=D).reshape(f['shape'])
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
model.load_state_dict({k: tensor(v) for k, v in fixture['initial'].items()})
x, y = tensor(fixture['x']), tensor(fixture['y'])
ddp = torch.nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
sampler = DistributedSampler(range(16), num_replicas=world, rank=rank, shuffle=True, seed=3)
indices = list(sampler)
for step in range(2):
    idx = torch.tensor(indices[step * 4:step * 4 + 4])
    opt.zero_grad()
    torch.nn.functional.mse_loss(ddp(x[idx]), y[idx]).backward()
    if step == 0:
        out['grads_first'] = {n: p.grad.reshape(-1).tolist() for n, p in model.named_parameters()}
    opt.step()
out['final'] = {n: p.detach().reshape(-1).tolist() for n, p in model.named_parameters()}
print('RESULT:' + json.dumps(out), flush=True)
dist.barrier()
dist.destroy_process_group()
