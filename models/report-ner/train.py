#!/usr/bin/env python3
"""Train the report-NER demo model (tiny BERT token classifier, English + Chinese) and export it for transformers.js.

    /usr/bin/python3 scripts/nlp/make_ner_data.py --out var/nlp/ner-data      # synthetic data, ~2 s
    OMP_NUM_THREADS=1 /usr/bin/python3 models/report-ner/train.py --data var/nlp/ner-data   # ~4-5 min, 1 thread

Plain torch (Debian python3-torch 1.13; no HF transformers in Python): word/position/type embeddings, 2 encoder
layers (hidden 64, 2 heads, FFN 256, GELU, post-LN as in BERT), a linear classifier over 11 BIO labels. Every
word-piece gets a label: the first piece the word's tag, continuation pieces I-<type> (O stays O), so the Node side
can read any piece. Seeds are fixed and training runs on one thread, so a rerun on the same machine and torch build
should give the same weights (torch's deterministic-algorithm mode is not switched on: it cost a third more time per
step here, and these CPU kernels are deterministic on one thread).

Writes into this folder: onnx/model.onnx, tokenizer.json, tokenizer_config.json, config.json, metrics.json.
The vocabulary is built from the training data plus a fixed list of common Chinese characters and English suffixes,
so words never seen in training still split into known pieces instead of [UNK].
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bert_text import words as bert_words, wordpiece  # noqa: E402

LABELS = ['O', 'B-FINDING', 'I-FINDING', 'B-ANATOMY', 'I-ANATOMY', 'B-MEASUREMENT', 'I-MEASUREMENT', 'B-NEGATION',
          'I-NEGATION', 'B-UNCERTAINTY', 'I-UNCERTAINTY']
L2I = {l: i for i, l in enumerate(LABELS)}
SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
SUFFIXES = ['s', 'es', 'ed', 'ing', 'ly', 'al', 'ic', 'ous', 'ation', 'er', 'ity', 'ness', 'ment', 'ive', 'ial',
            'ary', 'tion', 'sion', 'ism', 'ist', 'able', 'ible', 'ful', 'less', 'mm', 'cm', 'th', 'st', 'nd', 'rd']
# Common Chinese characters beyond those in the lexicons (report words, numbers, general text), so real reports
# tokenize to known single characters.
COMMON_ZH = ('的一是了在有中大上个到为和地出也时得就要下以生会着过对可里后小多能好都然没于起还发成只作当看无开手'
             '十用主行方又如前所本见经头面同三已从动两长知现分外但身些与高意进把法此实回二理点月明其种全部正定问力机给'
             '等几很最间新打位因重被走四第门相次西再平真信少关并内加化由代入先五太水万市体别处总才场书比住九通目报立马'
             '命活数件安表原车白应路期常提感何更反合放做系计或利受光果界及今务制解各任至清物台象记边共风战干接它许八特'
             '觉望直服林题建南度统色字请交让认算论百义科元术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该'
             '领近留红治决周保达办运半候七必城父强步完深区即求品士转量空甚众技轻程告江语英基派满式李息写识极令黄德收'
             '脸钱倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似专石若兵弟谁校'
             '读志飞观争究包组造落视济喜离虽坏兴推布复乎除病胸肺叶左右侧腔膜积液气张心脏增扩水肿实变炎感染症渗斑片磨'
             '玻璃密度阴骨折肋纤维厚钙灶淋巴结支管疱空洞膈疝食裂孔囊转移瘤粘连纵隔宽条索间质性改出血插引流起搏静脉导'
             '浸润网格包旧核毫米厘约径直边界楚清晰影像征查检诊断印象建议随访复术后期患者因咳嗽痛热闷外伤咯促呼吸困难'
             '乏未否排除考虑疑似怀拟倾提示待能异常显著探确明增粗稍示伴累及部位段尖野弓壁甲状腺胆肾脾肝腹纹理居称形态'
             '光整膈面所示扫描范围技满意对比较相仿进好同吸消失窄紊乱模糊欠佳均匀致密低高等缘分叶毛刺胀气肥大')
MAX_LEN = 128


def load(path: str) -> list[list[list[str]]]:
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f]


def example_words(chunks: list[list[str]]) -> tuple[list[str], list[str]]:
    """Chunks → (BERT words, BIO tag per word)."""
    ws: list[str] = []
    tags: list[str] = []
    for text, tag in chunks:
        for k, (w, _s, _e) in enumerate(bert_words(text)):
            ws.append(w)
            tags.append('O' if tag == 'O' else ('B-' if k == 0 else 'I-') + tag)
    return ws, tags


def build_vocab(train: list[list[list[str]]]) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    chars: set[str] = set()
    for ex in train:
        for w in example_words(ex)[0]:
            counts[w] += 1
            chars.update(w)
    toks = list(SPECIALS)
    base = [chr(c) for c in range(ord('a'), ord('z') + 1)] + [str(d) for d in range(10)]
    punct = list('.,;:!?()[]{}-_/\\\'"%+=<>*&#@$^|~`') + list('，。；：！？（）、“”‘’《》×')
    toks += base + ['##' + c for c in base] + punct + ['##' + s for s in SUFFIXES]
    toks += sorted(set(COMMON_ZH))
    # whole words seen at least twice (pseudo-words are random strings: almost all appear once, so they stay out)
    toks += sorted(w for w, n in counts.items() if n >= 2 and len(w) > 1 and not all(ord(c) < 128 and c in punct for c in w))
    toks += sorted(chars)
    vocab: dict[str, int] = {}
    for t in toks:
        if t not in vocab:
            vocab[t] = len(vocab)
    return vocab


def encode(chunks: list[list[str]], vocab: dict[str, int]) -> tuple[list[int], list[int]]:
    ws, tags = example_words(chunks)
    ids = [vocab['[CLS]']]
    labs = [-100]
    for w, t in zip(ws, tags):
        for k, p in enumerate(wordpiece(w, vocab)):
            ids.append(vocab[p])
            labs.append(L2I[t] if k == 0 or t == 'O' else L2I['I-' + t[2:]])
    ids, labs = ids[:MAX_LEN - 1], labs[:MAX_LEN - 1]
    return ids + [vocab['[SEP]']], labs + [-100]


class TinyBert(nn.Module):
    """BERT encoder (post-LN) + token classifier, written out so the ONNX graph stays simple."""

    def __init__(self, vocab: int, hidden: int = 64, layers: int = 2, heads: int = 2, ffn: int = 256,
                 max_pos: int = 512, labels: int = len(LABELS), dropout: float = 0.1) -> None:
        super().__init__()
        self.heads = heads
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.typ = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict({
                'qkv': nn.Linear(hidden, 3 * hidden), 'out': nn.Linear(hidden, hidden),
                'ln1': nn.LayerNorm(hidden, eps=1e-12), 'ff1': nn.Linear(hidden, ffn), 'ff2': nn.Linear(ffn, hidden),
                'ln2': nn.LayerNorm(hidden, eps=1e-12)}))
        self.cls = nn.Linear(hidden, labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        b, n = input_ids.shape
        pos = torch.arange(n, device=input_ids.device).unsqueeze(0)
        x = self.drop(self.ln(self.word(input_ids) + self.pos(pos) + self.typ(token_type_ids)))
        h = x.shape[-1]
        d = h // self.heads
        bias = (1.0 - attention_mask.to(x.dtype)).unsqueeze(1).unsqueeze(2) * -10000.0
        for L in self.layers:
            q, k, v = L['qkv'](x).split(h, dim=-1)
            q = q.view(b, n, self.heads, d).transpose(1, 2)
            k = k.view(b, n, self.heads, d).transpose(1, 2)
            v = v.view(b, n, self.heads, d).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
            ctx = (self.drop(att) @ v).transpose(1, 2).reshape(b, n, h)
            x = L['ln1'](x + self.drop(L['out'](ctx)))
            x = L['ln2'](x + self.drop(L['ff2'](F.gelu(L['ff1'](x)))))
        return self.cls(x)


def batches(data: list[tuple[list[int], list[int]]], size: int, rng: random.Random | None):
    order = list(range(len(data)))
    if rng:
        rng.shuffle(order)
    for i in range(0, len(order), size):
        items = [data[j] for j in order[i:i + size]]
        n = max(len(ids) for ids, _ in items)
        ids = torch.zeros(len(items), n, dtype=torch.long)
        mask = torch.zeros(len(items), n, dtype=torch.long)
        labs = torch.full((len(items), n), -100, dtype=torch.long)
        for r, (a, l) in enumerate(items):
            ids[r, :len(a)] = torch.tensor(a)
            mask[r, :len(a)] = 1
            labs[r, :len(l)] = torch.tensor(l)
        yield ids, mask, labs


def spans(tags: list[str]) -> set[tuple[int, int, str]]:
    out, start, typ = set(), -1, ''
    for i, t in enumerate(tags + ['O']):
        if start >= 0 and not (t.startswith('I-') and t[2:] == typ):
            out.add((start, i, typ))
            start = -1
        if t.startswith('B-') or (t.startswith('I-') and start < 0):
            start, typ = i, t[2:]
    return out


@torch.no_grad()
def evaluate(model: TinyBert, examples: list[list[list[str]]], vocab: dict[str, int]) -> dict[str, float]:
    """Entity-level P/R/F1 over words (a word's tag = its first piece's label), per type and micro overall."""
    model.eval()
    tp: collections.Counter[str] = collections.Counter()
    fp: collections.Counter[str] = collections.Counter()
    fn: collections.Counter[str] = collections.Counter()
    for ex in examples:
        ws, gold = example_words(ex)
        ids = [vocab['[CLS]']]
        first: list[int] = []
        for w in ws:
            first.append(len(ids))
            ids += [vocab[p] for p in wordpiece(w, vocab)]
        ids = (ids + [vocab['[SEP]']])[:MAX_LEN]
        t = torch.tensor([ids])
        pred_ids = model(t, torch.ones_like(t), torch.zeros_like(t))[0].argmax(-1).tolist()
        pred = [LABELS[pred_ids[f]] if f < len(ids) - 1 else 'O' for f in first]
        g, p = spans(gold), spans(pred)
        for s in p:
            (tp if s in g else fp)[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    out: dict[str, float] = {}
    for typ in sorted(set(tp) | set(fp) | set(fn)) + ['ALL']:
        a = sum(tp.values()) if typ == 'ALL' else tp[typ]
        b = sum(fp.values()) if typ == 'ALL' else fp[typ]
        c = sum(fn.values()) if typ == 'ALL' else fn[typ]
        prec = a / (a + b) if a + b else 0.0
        rec = a / (a + c) if a + c else 0.0
        out[typ] = round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0
    model.train()
    return out


def tokenizer_json(vocab: dict[str, int]) -> dict:
    sp = {t: vocab[t] for t in SPECIALS}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': sp[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for t in SPECIALS],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True,
                       'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                       {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [sp[t]], 'tokens': [t]} for t in ('[CLS]', '[SEP]')}},
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': vocab},
    }


def load_exported(folder: str) -> tuple[TinyBert, dict[str, int]]:
    """A model this script exported (onnx/model.onnx + tokenizer.json) back as a TinyBert, to score it with evaluate().
    The export keeps the named parameters; the linear weights become unnamed MatMul initializers (transposed), in
    module order: per layer qkv, out, ff1, ff2, then the classifier. Shapes are checked."""
    import onnx
    from onnx import numpy_helper
    with open(os.path.join(folder, 'tokenizer.json'), encoding='utf-8') as f:
        vocab = json.load(f)['model']['vocab']
    graph = onnx.load(os.path.join(folder, 'onnx', 'model.onnx')).graph
    named = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    model = TinyBert(len(vocab))
    state = model.state_dict()
    matmuls = [named[i.name] for i in graph.initializer if i.name.startswith('onnx::MatMul')]
    linear = [f'layers.{k}.{n}.weight' for k in range(len(model.layers)) for n in ('qkv', 'out', 'ff1', 'ff2')] + ['cls.weight']
    if len(matmuls) != len(linear):
        raise SystemExit(f'{folder}: {len(matmuls)} MatMul weights, expected {len(linear)}')
    for name, w in zip(linear, matmuls):
        if tuple(w.t().shape) != tuple(state[name].shape):
            raise SystemExit(f'{folder}: {name} has shape {tuple(w.t().shape)}, expected {tuple(state[name].shape)}')
        state[name] = w.t().contiguous()
    for name in state:
        if name not in linear:
            state[name] = named[name]
    model.load_state_dict(state)
    model.eval()
    return model, vocab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='var/nlp/ner-data')
    ap.add_argument('--out', default=HERE)
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--score', help='only score an exported model folder on the data splits (no training)')
    a = ap.parse_args()
    if a.score:
        model, vocab = load_exported(a.score)
        for split in ('dev', 'test', 'weak-dev'):
            path = os.path.join(a.data, f'{split}.jsonl')
            if os.path.exists(path):
                print(split, json.dumps(evaluate(model, load(path), vocab)), flush=True)
        return
    random.seed(a.seed)
    torch.manual_seed(a.seed)
    threads = int(os.environ.get('OMP_NUM_THREADS', '1'))
    torch.set_num_threads(threads)

    train_ex, dev_ex, test_ex = (load(os.path.join(a.data, f'{s}.jsonl')) for s in ('train', 'dev', 'test'))
    # weakly labelled real sentences held out of train (scripts/nlp/make_ner_data.py --weak), when there are any
    weak_path = os.path.join(a.data, 'weak-dev.jsonl')
    weak_ex = load(weak_path) if os.path.exists(weak_path) else []
    vocab = build_vocab(train_ex)
    train = [encode(ex, vocab) for ex in train_ex]
    model = TinyBert(len(vocab))
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    steps = a.epochs * math.ceil(len(train) / a.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 200) * max(0.05, 1 - s / steps))
    rng = random.Random(a.seed)
    history = []
    t0 = time.time()
    for epoch in range(a.epochs):
        total, n = 0.0, 0
        for ids, mask, labs in batches(train, a.batch, rng):
            logits = model(ids, mask, torch.zeros_like(ids))
            loss = F.cross_entropy(logits.reshape(-1, len(LABELS)), labs.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, n = total + loss.item(), n + 1
        dev = evaluate(model, dev_ex, vocab)
        history.append({'epoch': epoch + 1, 'loss': round(total / n, 4), 'dev_f1': dev['ALL'],
                        'seconds': round(time.time() - t0, 1)})
        print(json.dumps(history[-1]), flush=True)
    train_seconds = round(time.time() - t0, 1)
    dev, test = evaluate(model, dev_ex, vocab), evaluate(model, test_ex, vocab)
    weak = evaluate(model, weak_ex, vocab) if weak_ex else None
    print('dev', dev, '\ntest (held-out templates)', test, '\nweak-dev (rules on held-out real sentences)', weak, flush=True)

    model.eval()
    os.makedirs(os.path.join(a.out, 'onnx'), exist_ok=True)
    dummy = torch.tensor([[2, 10, 11, 3]])
    torch.onnx.export(model, (dummy, torch.ones_like(dummy), torch.zeros_like(dummy)),
                      os.path.join(a.out, 'onnx', 'model.onnx'), opset_version=14,
                      input_names=['input_ids', 'attention_mask', 'token_type_ids'], output_names=['logits'],
                      dynamic_axes={k: {0: 'batch_size', 1: 'sequence_length'}
                                    for k in ('input_ids', 'attention_mask', 'token_type_ids', 'logits')})
    with open(os.path.join(a.out, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False, separators=(',', ':'))
    with open(os.path.join(a.out, 'tokenizer_config.json'), 'w', encoding='utf-8') as f:
        json.dump({'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'tokenize_chinese_chars': True,
                   'model_max_length': 512, 'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]',
                   'unk_token': '[UNK]', 'mask_token': '[MASK]'}, f, indent=2)
    with open(os.path.join(a.out, 'config.json'), 'w', encoding='utf-8') as f:
        json.dump({'model_type': 'bert', 'architectures': ['BertForTokenClassification'],
                   'id2label': {str(i): l for i, l in enumerate(LABELS)}, 'label2id': L2I,
                   'vocab_size': len(vocab), 'hidden_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 2,
                   'intermediate_size': 256, 'max_position_embeddings': 512, 'type_vocab_size': 2,
                   'max_words_per_sequence': 100}, f, indent=2)
    with open(os.path.join(a.out, 'metrics.json'), 'w', encoding='utf-8') as f:
        json.dump({'parameters': params, 'vocab_size': len(vocab), 'train_examples': len(train_ex),
                   'dev_examples': len(dev_ex), 'test_examples': len(test_ex), 'epochs': a.epochs,
                   'batch': a.batch, 'lr': a.lr, 'seed': a.seed, 'threads': threads, 'train_seconds': train_seconds,
                   'torch': torch.__version__, 'history': history, 'dev_entity_f1': dev,
                   'heldout_template_entity_f1': test,
                   **({'weak_dev_examples': len(weak_ex), 'weak_dev_entity_f1': weak} if weak_ex else {})}, f, indent=2)
    # reference logits for the Node test that the exported model and transformers.js agree with torch
    probe = 'No pleural effusion. 右肺上叶见约8毫米结节。'
    ids = [vocab['[CLS]']] + [vocab[p] for w, _s, _e in bert_words(probe) for p in wordpiece(w, vocab)] + [vocab['[SEP]']]
    t = torch.tensor([ids])
    with torch.no_grad():
        probe_tags = [LABELS[i] for i in model(t, torch.ones_like(t), torch.zeros_like(t))[0].argmax(-1).tolist()]
    print('probe', list(zip([p for w, _s, _e in bert_words(probe) for p in wordpiece(w, vocab)], probe_tags[1:-1])))
    print(f'{params} parameters, vocab {len(vocab)}, trained in {train_seconds} s')


if __name__ == '__main__':
    main()
