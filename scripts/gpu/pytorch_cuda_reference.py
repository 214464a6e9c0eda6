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
import math
import sys

import torch
import torch.nn.functional as F
from torch import nn

torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEVICE = 'cuda'


class CNN(nn.Module):
    """The book's CNN (section 4.1)."""

    def __init__(self):
        super(CNN, self).__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 64 * 8 * 8)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


class RNN(nn.Module):
    """The book's RNN classifier (section 4.2)."""

    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.rnn(x, h0)
        out = self.fc(out[:, -1, :])
        return out


class PositionalEncoding(nn.Module):
    """As in make_nn_transformer.py (the book's, fixed)."""

    def __init__(self, d_model, dropout, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:, :x.size(1)]
        return self.dropout(x)


class Transformer(nn.Module):
    """The book's Transformer (section 4.3), fixed as in examples/book/transformer.ts."""

    def __init__(self, ntoken, nhead, nhid, dropout=0.5, nlayers=2):
        super().__init__()
        self.pos_encoder = PositionalEncoding(ntoken, dropout)
        encoder_layers = nn.TransformerEncoderLayer(ntoken, nhead, nhid, dropout, batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.fc = nn.Linear(ntoken, ntoken)

    def forward(self, src):
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src)
        output = self.fc(output)
        return output


def cnn():
    torch.manual_seed(0)
    model = CNN().to(DEVICE)
    torch.manual_seed(1)
    x = torch.randn(2, 3, 32, 32).to(DEVICE)
    target = torch.tensor([3, 7]).to(DEVICE)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(5):
        model.zero_grad()
        loss = criterion(model(x), target)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.sub_(p.grad.mul(0.01))
        losses.append(loss.item())
    return {'losses': losses}


def rnn():
    torch.manual_seed(0)
    model = RNN(10, 50, 2, 2)
    x = torch.randn(4, 32, 10)
    y = torch.randint(0, 2, (4,))
    model = model.to(DEVICE)
    x, y = x.to(DEVICE), y.to(DEVICE)
    losses = []
    for _ in range(5):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.sub_(p.grad.mul(0.1))
        losses.append(loss.item())
    return {'losses': losses}


def transformer(dropout):
    torch.manual_seed(0)
    model = Transformer(100, 4, 256, dropout)
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
