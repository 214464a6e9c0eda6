# PyTorch side of the benchmarks: the twin of bench/cases.ts, case for case.
#   /usr/bin/python3 bench/cases.py <case> <seconds>
# Prints one JSON line: {case, unit, value}: µs per iteration, or peak RSS in MiB.
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The book's CNN and RNN, the same classes the fixture scripts use.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'fixtures'))
from book_models import CNN, RNN  # noqa: E402

torch.set_num_threads(int(os.environ.get('BENCH_THREADS', '1')))


def time_it(step, seconds):
    """µs per call of step, run for ~seconds after a warm-up; the clock is read once per ~1 ms batch (see cases.ts timeIt)."""
    warmup_start = time.perf_counter()
    warmup_end = warmup_start + min(0.3, seconds / 3)
    warmup_steps = 0
    while time.perf_counter() < warmup_end:
        step()
        warmup_steps += 1
    batch = max(1, int(warmup_steps * 0.001 / (time.perf_counter() - warmup_start)))
    iterations = 0
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        for _ in range(batch):
            step()
        iterations += batch
    return (time.perf_counter() - start) * 1e6 / iterations


class TransformerModel(nn.Module):
    def __init__(self, d_model, nhead, num_layers, classes):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.fc = nn.Linear(d_model, classes)

    def forward(self, x):
        return self.fc(self.encoder(x))


class LSTMLanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 128)
        self.lstm = nn.LSTM(128, 256, 2, batch_first=True)
        self.head = nn.Linear(256, 1000)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def train_step(model, optimizer, x, y, flatten=False):
    def step():
        optimizer.zero_grad()
        out = model(x)
        if flatten:
            out = out.flatten(0, 1)
        F.cross_entropy(out, y).backward()
        optimizer.step()
    return step


def infer_step(model, x):
    model.eval()

    def step():
        with torch.no_grad():
            model(x)
    return step


def cnn_train(batch):
    def run(s):
        torch.manual_seed(0)
        model = CNN()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(batch, 3, 32, 32)
        y = torch.randint(0, 10, (batch,))
        return {'value': time_it(train_step(model, opt, x, y), s), 'unit': 'us/step', 'per': batch}
    return run


def cnn_infer(batch):
    def run(s):
        torch.manual_seed(0)
        return {'value': time_it(infer_step(CNN(), torch.randn(batch, 3, 32, 32)), s), 'unit': 'us/step', 'per': batch}
    return run


def case_add(s):
    a, b = torch.ones(1), torch.ones(1)
    return {'value': time_it(lambda: a.add(b), s), 'unit': 'us/op'}


def case_add_grad(s):
    a, b = torch.ones(1, requires_grad=True), torch.ones(1)
    return {'value': time_it(lambda: a.add(b), s), 'unit': 'us/op'}


def case_chain10(s):
    x = torch.ones(1)
    return {'value': time_it(lambda: x.add(1).mul(2).sub(0.5).div(3).neg().abs().exp().log().sqrt().relu(), s), 'unit': 'us/chain'}


def case_slice(s):
    x = torch.randn(8, 8)
    return {'value': time_it(lambda: x[:, -1], s), 'unit': 'us/op'}


def case_from_array(s):
    data = [i * 0.5 for i in range(1000)]
    return {'value': time_it(lambda: torch.tensor(data).tolist(), s), 'unit': 'us/roundtrip'}


def case_rnn_train(s):
    torch.manual_seed(0)
    model = RNN(10, 50, 2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return {'value': time_it(train_step(model, opt, torch.randn(64, 32, 10), torch.randint(0, 2, (64,))), s), 'unit': 'us/step', 'per': 64}


def case_transformer_train(s):
    torch.manual_seed(0)
    model = TransformerModel(128, 4, 2, 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(32, 64, 128)
    y = torch.randint(0, 16, (32 * 64,))
    return {'value': time_it(train_step(model, opt, x, y, True), s), 'unit': 'us/step', 'per': 32 * 64}


def case_transformer_infer(s):
    torch.manual_seed(0)
    return {'value': time_it(infer_step(TransformerModel(128, 4, 2, 16), torch.randn(1, 64, 128)), s), 'unit': 'us/step'}


def case_lstm_lm(s):
    torch.manual_seed(0)
    model = LSTMLanguageModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tokens = torch.randint(0, 1000, (16, 35))
    targets = torch.randint(0, 1000, (16 * 35,))
    return {'value': time_it(train_step(model, opt, tokens, targets, True), s), 'unit': 'us/step'}


def case_mlp_infer(s):
    torch.manual_seed(0)
    return {'value': time_it(infer_step(MLP(), torch.randn(1, 784)), s), 'unit': 'us/step'}


def case_cnn_memory(s):
    torch.manual_seed(0)
    model = CNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return {'value': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'unit': 'MiB peak RSS'}


CASES = {
    'add': case_add, 'add_grad': case_add_grad, 'chain10': case_chain10, 'slice': case_slice,
    'from_array_1000': case_from_array,
    'cnn_train_b8': cnn_train(8), 'cnn_train_b64': cnn_train(64), 'cnn_train_b256': cnn_train(256),
    'cnn_infer_b1': cnn_infer(1), 'cnn_infer_b64': cnn_infer(64),
    'rnn_train_b64': case_rnn_train, 'transformer_train_b32': case_transformer_train,
    'transformer_infer_b1': case_transformer_infer, 'lstm_lm_step': case_lstm_lm, 'mlp_infer_b1': case_mlp_infer,
    'cnn_train_memory': case_cnn_memory,
}

if __name__ == '__main__':
    name, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    if name not in CASES:
        sys.exit(f"unknown case '{name}'")
    print(json.dumps({'case': name, **CASES[name](seconds)}))
