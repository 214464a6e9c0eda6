"""PyTorch's numbers on the GPU machine, for test/cuda.test.ts to compare with (run by
scripts/gpu-check.sh with that machine's Python torch; the test reads the JSON named by
TORCH_NODE_CUDA_REFERENCE).

    python scripts/gpu/pytorch_cuda_reference.py OUT.json

The book's three models are built on the CPU after the same seeds as the CPU fixtures
(make_nn_layers.py, make_nn_rnn.py, make_nn_transformer.py), moved to CUDA and trained with
the same steps; cuDNN is made deterministic so that both sides pick the same algorithms. The
CNN is also trained under autocast with a GradScaler. The procedures here and in
test/cuda.test.ts must stay op-for-op identical.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

# The book's models, shared with the CPU fixture scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures'))
from book_models import CNN, RNN, Transformer, sgd_losses  # noqa: E402

torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEVICE = 'cuda'


def cnn():
    torch.manual_seed(0)
    model = CNN().to(DEVICE)
    torch.manual_seed(1)
    x = torch.randn(2, 3, 32, 32).to(DEVICE)
    target = torch.tensor([3, 7]).to(DEVICE)
    return {'losses': sgd_losses(model, x, target, lr=0.01)}


def rnn():
    torch.manual_seed(0)
    model = RNN(10, 50, 2, 2)
    x = torch.randn(4, 32, 10)
    y = torch.randint(0, 2, (4,))
    model = model.to(DEVICE)
    x, y = x.to(DEVICE), y.to(DEVICE)
    return {'losses': sgd_losses(model, x, y, lr=0.1)}


def transformer(dropout):
    torch.manual_seed(0)
    model = Transformer(100, 4, 256, dropout)
    # torch 2.x: keep the encoder off the nested-tensor path, like the CPU reference.
    model.transformer_encoder.enable_nested_tensor = False
    tokens = torch.randint(0, 100, (2, 8))
    model = model.to(DEVICE)
    tokens = tokens.to(DEVICE)
    src = F.one_hot(tokens, 100).float()
    model(src)  # the first forward of the CPU fixture run, which draws dropout masks too
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        output = model(src)
        loss = F.cross_entropy(output.reshape(-1, 100), tokens.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {'dropout': dropout, 'losses': losses}


def cnn_amp(dtype, use_scaler, steps=5, batch=64):
    torch.manual_seed(0)
    model = CNN().to(DEVICE)
    torch.manual_seed(1)
    x = torch.randn(batch, 3, 32, 32).to(DEVICE)
    target = torch.randint(0, 10, (batch,)).to(DEVICE)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.cuda.amp.GradScaler(enabled=use_scaler)
    losses, scales, output_dtypes = [], [], []
    for _ in range(steps):
        optimizer.zero_grad()
        with torch.autocast('cuda', dtype=dtype):
            output = model(x)
            loss = criterion(output, target)
        output_dtypes.append(str(output.dtype).replace('torch.', ''))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
        scales.append(scaler.get_scale())
    return {'losses': losses, 'scales': scales, 'output_dtypes': output_dtypes}


def main():
    if not torch.cuda.is_available():
        sys.exit('pytorch_cuda_reference.py: torch.cuda.is_available() is false')
    out = {
        'torch_version': torch.__version__,
        'cuda_version': torch.version.cuda,
        'device_name': torch.cuda.get_device_name(),
        'bf16_supported': torch.cuda.is_bf16_supported(),
        'cnn': cnn(),
        'rnn': rnn(),
        'transformer': [transformer(0.0), transformer(0.5)],
        'cnn_amp_float16_scaler': cnn_amp(torch.float16, True),
    }
    if torch.cuda.is_bf16_supported():
        out['cnn_amp_bfloat16'] = cnn_amp(torch.bfloat16, False)
    with open(sys.argv[1], 'w') as f:
        json.dump(out, f, indent=1)
    print(f'wrote {sys.argv[1]} (PyTorch {torch.__version__} on {out["device_name"]})')


if __name__ == '__main__':
    main()
