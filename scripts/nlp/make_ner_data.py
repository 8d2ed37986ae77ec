#!/usr/bin/env python3
"""Generate synthetic, labelled radiology-report sentences (English and Chinese) for the report-NER demo model.

    /usr/bin/python3 scripts/nlp/make_ner_data.py [--out var/nlp/ner-data] [--seed 7] [--n-train 9000] [--n-dev 600]
        [--n-test 600]

Every sentence is built from the templates and lexicons in this file; no text from the evaluation corpora (OpenI,
NegEx, CheXpert, the Chinese test set in test/fixtures/nlp) is used, only general knowledge of how chest reports are
written. Output: JSON lines, one example per line, as chunks [text, tag] where tag is O or one of FINDING, ANATOMY,
MEASUREMENT, NEGATION, UNCERTAINTY. The trainer (models/report-ner/train.py) splits chunks into BERT words and
assigns B-/I- tags, so this script knows nothing of the tokenizer.

Splits: train and dev come from the TRAIN templates; test comes from the held-out TEST templates only, so its score
says how the model does on sentence shapes it never saw. Pseudo-word augmentation (random letter strings or random
CJK characters in place of, or inserted between, O words) is applied to train only; without it a tiny model tags
every unseen word as an entity (measured while building it: see models/report-ner/MODEL_CARD.md).

Weak labels (issue 13): with --weak FILE (written by scripts/nlp/weak-labels.mjs: the gateway's rules over the dev
reports and sentences of the corpus, frozen-test items and every sentence they share left out), each weakly labelled
sentence becomes an example too. Gaps the rules leave are filled from this file's English finding list (devices,
"scarring", "granuloma": findings the coded lexicon has no concept for), never over a rule span or a look-alike the
lexicon reserves. One in ten weak sentences (by a hash of its text) goes to weak-dev.jsonl instead of train, to
measure how well the model learns the rules on real text it did not see; the synthetic splits do not change.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import re

# ---------------------------------------------------------------- English lexicons
EN_FINDINGS = [
    'pneumothorax', 'pleural effusion', 'effusion', 'effusions', 'pleural fluid', 'atelectasis', 'consolidation',
    'pneumonia', 'pulmonary edema', 'edema', 'interstitial edema', 'cardiomegaly', 'nodule', 'nodules',
    'pulmonary nodule', 'lung nodule', 'mass', 'lung mass', 'opacity', 'opacities', 'airspace disease',
    'airspace opacity', 'infiltrate', 'infiltrates', 'emphysema', 'fibrosis', 'pulmonary fibrosis',
    'pleural thickening', 'hiatal hernia', 'fracture', 'rib fracture', 'rib fractures', 'granuloma',
    'calcified granuloma', 'scarring', 'bronchiectasis', 'ground-glass opacity', 'lymphadenopathy', 'cyst',
    'lesion', 'tumor', 'carcinoma', 'lung cancer', 'metastasis', 'metastases', 'hemorrhage', 'abscess',
    'cavitation', 'calcification', 'hyperinflation', 'vascular congestion', 'pulmonary congestion',
    'widened mediastinum', 'scoliosis', 'degenerative changes', 'osteophytes', 'pulmonary embolism', 'aneurysm',
    'collapse', 'volume loss', 'hydropneumothorax', 'pneumomediastinum', 'subcutaneous emphysema', 'kyphosis',
    'osteopenia', 'compression fracture', 'hepatomegaly', 'splenomegaly', 'ascites', 'lobar collapse',
    'endotracheal tube', 'chest tube', 'central venous catheter', 'picc line', 'pacemaker', 'nasogastric tube',
    'sternotomy wires', 'surgical clips', 'tracheostomy tube', 'enlarged heart', 'cardiac enlargement',
    'pericardial effusion', 'bronchial wall thickening', 'air-fluid level', 'honeycombing', 'bulla', 'bullae',
]
EN_ANATOMY = [
    'right upper lobe', 'right middle lobe', 'right lower lobe', 'left upper lobe', 'left lower lobe', 'lingula',
    'right lung', 'left lung', 'both lungs', 'lungs', 'lung bases', 'right base', 'left base', 'bases', 'apex',
    'right apex', 'left apex', 'apices', 'hilum', 'hila', 'right hilum', 'left hilum', 'mediastinum', 'heart',
    'cardiac silhouette', 'cardiomediastinal silhouette', 'aorta', 'thoracic aorta', 'pleura', 'pleural space',
    'costophrenic angle', 'left costophrenic angle', 'right costophrenic angle', 'hemidiaphragm',
    'right hemidiaphragm', 'left hemidiaphragm', 'diaphragm', 'ribs', 'right ribs', 'left ribs', 'left 5th rib',
    'right 7th rib', 'thoracic spine', 'spine', 'clavicle', 'trachea', 'carina', 'liver', 'spleen', 'kidney',
    'pancreas', 'gallbladder', 'chest', 'chest wall', 'thorax', 'perihilar region', 'retrocardiac region',
    'upper abdomen', 'soft tissues', 'bones', 'lung apex', 'right hemithorax', 'left hemithorax', 'left breast',
    'right axilla', 'superior vena cava', 'pulmonary arteries', 'bilateral lungs', 'lower lobes', 'upper lobes',
]
EN_SIDE = ['left', 'right', 'bilateral', 'bibasilar', 'left-sided', 'right-sided', 'biapical']
EN_NEG_PRE = ['no', 'without', 'no evidence of', 'negative for', 'free of', 'no signs of', 'no sign of',
              'absence of', 'not', 'no definite', 'no convincing', 'there is no', 'no radiographic evidence of',
              'resolution of', 'resolved', 'denies', 'no findings of', 'rules out', 'ruled out for']
EN_NEG_POST = ['is not seen', 'are not seen', 'is absent', 'has resolved', 'have resolved', 'is ruled out',
               'is not identified', 'are not identified', 'was excluded', 'is no longer seen', 'not present']
EN_UNC_PRE = ['possible', 'probable', 'likely', 'may represent', 'suspicious for', 'concerning for',
              'suggestive of', 'questionable', 'cannot exclude', 'could represent', 'possibly', 'presumably',
              'suspected', 'equivocal', 'may be', 'might represent', 'question of', 'differential includes',
              'worrisome for', 'borderline']
EN_UNC_POST = ['cannot be excluded', 'is not excluded', 'is suspected', 'is likely', 'is possible',
               'not ruled out', 'can not be ruled out', 'is questioned', 'is favored']
EN_MODIFIER = ['small', 'moderate', 'large', 'mild', 'minimal', 'trace', 'patchy', 'focal', 'subsegmental',
               'stable', 'new', 'chronic', 'acute', 'severe', 'tiny', 'diffuse', 'multifocal', 'residual',
               'persistent', 'increased', 'decreased', 'unchanged', 'linear', 'streaky', 'dense', 'calcified', '']
EN_CHANGE = ['unchanged', 'stable', 'increased', 'decreased', 'improved', 'worsened', 'slightly larger',
             'slightly smaller', 'not significantly changed']
EN_FILLERS = [
    'Frontal and lateral views of the chest were obtained.', 'Comparison is made to the prior study.',
    'Single portable view of the chest.', 'Exam is limited by patient rotation.', 'Clinical correlation is advised.',
    'Follow-up is recommended.', 'Findings were discussed with the referring physician.',
    'Overall appearance is stable.', 'Otherwise unremarkable examination.', 'The study is otherwise normal.',
    'Low lung volumes.', 'Technically adequate study.', 'Recommend CT for further evaluation.',
    'Please see the report of the same day.', 'Interval change since the previous radiograph.',
    'No acute cardiopulmonary process.', 'No change in the appearance of the chest.',
]

# ---------------------------------------------------------------- Chinese lexicons
ZH_FINDINGS = [
    '结节', '肺结节', '磨玻璃结节', '实性结节', '肿块', '占位', '占位性病变', '肺癌', '肺部肿瘤', '肿瘤', '胸腔积液', '积液',
    '气胸', '液气胸', '肺不张', '心脏增大', '心影增大', '心脏扩大', '肺水肿', '实变', '肺实变', '肺炎', '感染', '炎症',
    '渗出', '斑片影', '磨玻璃影', '高密度影', '阴影', '骨折', '肋骨骨折', '肺气肿', '纤维化', '肺纤维化', '胸膜增厚',
    '胸膜肥厚', '钙化', '钙化灶', '淋巴结肿大', '支气管扩张', '肺大疱', '空洞', '膈疝', '食管裂孔疝', '囊肿', '转移瘤',
    '胸膜粘连', '纵隔增宽', '条索影', '间质性改变', '出血', '血肿', '钙化结节', '气管插管', '胸腔引流管', '起搏器',
    '中心静脉导管', '浸润影', '网格影', '心包积液', '肺间质纤维化', '陈旧性病变', '结核', '肺结核', '肿大淋巴结',
]
ZH_ANATOMY = [
    '右肺上叶', '右肺中叶', '右肺下叶', '左肺上叶', '左肺下叶', '左肺舌段', '右肺', '左肺', '双肺', '两肺', '肺部', '胸部',
    '肺门', '双肺门', '纵隔', '心脏', '心影', '主动脉', '胸膜', '双侧胸膜', '胸腔', '右侧胸腔', '左侧胸腔', '双侧胸腔',
    '肋膈角', '左侧肋膈角', '膈肌', '右侧膈肌', '肋骨', '右侧第5肋骨', '左侧第4肋', '胸椎', '锁骨', '气管', '肝脏',
    '脾脏', '胆囊', '肾脏', '胸壁', '两肺下叶', '右肺门', '支气管', '甲状腺', '上腹部', '右肺尖', '左肺尖', '双肺上叶',
    '右侧胸膜', '左侧胸膜', '主动脉弓', '肺野', '右下肺野', '左中肺野',
]
ZH_NEG_PRE = ['无', '未见', '未发现', '否认', '排除', '不考虑', '未见明显', '未见确切', '没有', '未探及', '未显示', '无明显',
              '未见异常', '未再见', '未见明确']
ZH_NEG_POST = ['已吸收', '已消失', '未见', '消失', '已完全吸收', '未再显示']
ZH_UNC_PRE = ['可能', '考虑', '疑似', '不除外', '可疑', '倾向', '怀疑', '拟诊', '疑为', '提示可能', '不排除', '考虑为',
              '可能为', '倾向于']
ZH_UNC_POST = ['可能', '不除外', '待排', '可能性大', '待除外', '不能除外', '可能大', '待查']
ZH_MODIFIER = ['少量', '中等量', '大量', '小', '多发', '散在', '斑片状', '片状', '条索状', '结节状', '陈旧性', '新发',
               '轻度', '明显', '局限性', '弥漫性', '']
ZH_CHANGE = ['较前增大', '较前缩小', '较前吸收', '较前无明显变化', '与前片相仿', '较前进展', '较前好转', '大致同前']
ZH_SYMPTOM = ['咳嗽', '胸痛', '发热', '胸闷', '体检', '外伤', '咯血', '气促', '呼吸困难', '乏力']
ZH_FILLERS = [
    '胸廓对称。', '气管居中。', '纵隔居中。', '心影大小、形态正常。', '双侧膈面光整。', '请结合临床。', '建议随访复查。',
    '建议进一步增强扫描。', '所见骨质未见异常。', '扫描范围内上腹部未见异常。', '与前片比较。', '检查技术满意。',
    '双肺纹理清晰。', '肺门影不大。', '主动脉管壁可见钙化斑块。', '建议短期复查。',
]

def en_meas(rng: random.Random) -> str:
    n = lambda: str(rng.randint(2, 40))  # noqa: E731 - tiny local helper
    d = lambda: f'{rng.randint(1, 9)}.{rng.randint(0, 9)}'  # noqa: E731
    forms = [
        lambda: f'{n()} mm', lambda: f'{n()}mm', lambda: f'{d()} cm', lambda: f'{d()}cm',
        lambda: f'{n()} x {n()} mm', lambda: f'{d()} x {d()} cm', lambda: f'{n()}x{n()}mm',
        lambda: f'{d()} x {d()} x {d()} cm', lambda: f'{n()} millimeters', lambda: f'{d()} centimeters',
    ]
    return rng.choice(forms)()


def zh_meas(rng: random.Random) -> str:
    n = lambda: str(rng.randint(2, 40))  # noqa: E731
    d = lambda: f'{rng.randint(1, 9)}.{rng.randint(0, 9)}'  # noqa: E731
    forms = [
        lambda: f'{n()}毫米', lambda: f'{d()}厘米', lambda: f'{n()}mm', lambda: f'{d()}cm', lambda: f'{n()}×{n()}毫米',
        lambda: f'{n()}×{n()}mm', lambda: f'{d()}×{d()}cm', lambda: f'{d()}×{d()}厘米', lambda: f'{n()}x{n()}mm',
        lambda: f'{n()} mm',
    ]
    return rng.choice(forms)()


# ---------------------------------------------------------------- templates
# {slot} names: f, f2 finding; a, a2 anatomy; s side (tagged ANATOMY); m measurement; neg, negpost, unc, uncpost cues;
# mod, mod2 modifier (O); chg change phrase (O); sym symptom (O, Chinese). Everything else is literal O text.
EN_TRAIN = [
    '{neg} {f}.', '{neg} {f} or {f2}.', 'There is {neg} {f} in the {a}.', '{neg} {mod} {f} is seen.',
    'There is a {m} {f} in the {a}.', '{m} {f} in the {a}.', '{mod} {f} in the {a}.', '{s} {f}.',
    '{s} {mod} {f}.', '{unc} {f} in the {a}.', '{unc} {f}.', '{f} in the {a}, {unc} {f2}.', '{f} {negpost}.',
    '{mod} {s} {f} {uncpost}.', 'The {a} is normal.', 'The {a} is clear.', 'The {a} is within normal limits.',
    '{a} {f} measuring {m}.', '{f} of the {a} is {chg}.', '{mod} {f} at the {a} is {chg}.', 'No change in {f}.',
    '{a}: {f}.', 'The {a} demonstrates {mod} {f}.', '{f} is seen in the {a} measuring {m}.',
    'There is {mod} {f} in the {a} without {f2}.', '{f} and {f2} in the {a}.', '{f} versus {f2} in the {a}.',
    'Findings {unc} {f}.', 'The {a} and {a2} are unremarkable.', 'Heart size is normal. {neg} {f}.',
    '{s} {f}, {mod} {f2}.', '{f} is {unc2} {f2}.', 'Interval development of {f} in the {a}.',
    'Status post removal of {f}.', '{f} {chg} in size, now {m}.', 'Again seen is a {m} {f} in the {a}.',
    'There are {mod} {f} in the {a}, {unc} {f2}.', 'No new {f}. Stable {f2} in the {a}.',
    'The {a} is enlarged.', 'The {a} are hyperexpanded.', '{neg} {f}, {f2} or {f3}.', '{f} {uncpost}.',
    'Patient with history of {f}.', 'Evaluate for {f}.', 'Question of {f} in the {a}.',
]
EN_UNC2 = ['likely', 'probably', 'possibly', 'most likely', 'suspicious for', 'compatible with']
EN_TEST = [
    'Redemonstrated {m} {f} involving the {a}.', 'Within the {a} there is {mod} {f}.',
    'Impression: {m} {f}, {a}.', '{f} identified {unc} {f2}.', 'Persisting {f} in the {a}, {neg} {f2}.',
    '{neg} {f} is identified within the {a}.', '{f} again noted in the {a}, {uncpost}.',
]
ZH_TRAIN = [
    '{a}{neg}{f}。', '{a}见{f}，直径约{m}。', '{a}可见{m}{f}。', '{unc}{f}。', '{a}{f}，{unc}{f2}。', '{f}{uncpost}。',
    '{a}{f}{negpost}。', '患者因{sym}，行{a}CT检查，发现{f}。', '{neg}{f}及{f2}。', '{a}形态、大小未见异常。',
    '{a}{mod}{f}{chg}。', '{a}{mod}{f}，{neg}{f2}。', '{a}见{mod}{f}，大小约{m}，{unc}{f2}。', '{a}{neg}{mod}{f}。',
    '{a}内见{f}，边界清楚。', '{a}{f}，{neg}{f2}，{neg}{f3}。', '{a}见{f}影。', '{a}{f}，较大者约{m}。',
    '{f}术后改变。', '{a}结构清晰，{neg}{f}。', '{a}密度增高，{unc}{f}。', '诊断：{a}{f}。', '印象：{unc}{f}，建议复查。',
    '{a}及{a2}{neg}{f}。', '{a}{f}伴{f2}。', '{sym}待查，{unc}{f}。', '{a}{f}，{chg}。', '对比前片，{a}{f}{negpost}。',
]
ZH_TEST = [
    '复查示{a}{f}{chg}，{neg}{f2}。', '{a}另见{m}{f}，{uncpost2}。', '结论：{a}{f}，{unc}{f2}。',
    '于{a}可探及{f}，最大径{m}。',
]


def en_fill(rng: random.Random, name: str) -> tuple[str, str]:
    pick = rng.choice
    table = {
        'f': (EN_FINDINGS, 'FINDING'), 'f2': (EN_FINDINGS, 'FINDING'), 'f3': (EN_FINDINGS, 'FINDING'),
        'a': (EN_ANATOMY, 'ANATOMY'), 'a2': (EN_ANATOMY, 'ANATOMY'), 's': (EN_SIDE, 'ANATOMY'),
        'neg': (EN_NEG_PRE, 'NEGATION'), 'negpost': (EN_NEG_POST, 'NEGATION'), 'unc': (EN_UNC_PRE, 'UNCERTAINTY'),
        'uncpost': (EN_UNC_POST, 'UNCERTAINTY'), 'unc2': (EN_UNC2, 'UNCERTAINTY'), 'mod': (EN_MODIFIER, 'O'),
        'mod2': (EN_MODIFIER, 'O'), 'chg': (EN_CHANGE, 'O'),
    }
    if name == 'm':
        return en_meas(rng), 'MEASUREMENT'
    words, tag = table[name]
    return pick(words), tag


def zh_fill(rng: random.Random, name: str) -> tuple[str, str]:
    pick = rng.choice
    table = {
        'f': (ZH_FINDINGS, 'FINDING'), 'f2': (ZH_FINDINGS, 'FINDING'), 'f3': (ZH_FINDINGS, 'FINDING'),
        'a': (ZH_ANATOMY, 'ANATOMY'), 'a2': (ZH_ANATOMY, 'ANATOMY'), 'neg': (ZH_NEG_PRE, 'NEGATION'),
        'negpost': (ZH_NEG_POST, 'NEGATION'), 'unc': (ZH_UNC_PRE, 'UNCERTAINTY'),
        'uncpost': (ZH_UNC_POST, 'UNCERTAINTY'), 'uncpost2': (ZH_UNC_POST, 'UNCERTAINTY'),
        'mod': (ZH_MODIFIER, 'O'), 'chg': (ZH_CHANGE, 'O'), 'sym': (ZH_SYMPTOM, 'O'),
    }
    if name == 'm':
        return zh_meas(rng), 'MEASUREMENT'
    words, tag = table[name]
    return pick(words), tag


SLOT = re.compile(r'\{(\w+)\}')


def render(template: str, fill, rng: random.Random) -> list[list[str]]:
    """Template → chunks [[text, tag], …]; literal text is O."""
    chunks: list[list[str]] = []
    pos = 0
    for m in SLOT.finditer(template):
        if m.start() > pos:
            chunks.append([template[pos:m.start()], 'O'])
        text, tag = fill(rng, m.group(1))
        if text:
            chunks.append([text, tag])
        pos = m.end()
    if pos < len(template):
        chunks.append([template[pos:], 'O'])
    return chunks


def pseudo_word(rng: random.Random) -> str:
    return ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 10)))


# Common characters used for Chinese noise; the model must learn that an unknown character is O by default.
ZH_NOISE = '的一是了在人有这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴推布复乎除病'


# noise characters never include a character of an entity word, so noise is always O
_ENTITY_CHARS = set(''.join(ZH_FINDINGS + ZH_ANATOMY + ZH_NEG_PRE + ZH_NEG_POST + ZH_UNC_PRE + ZH_UNC_POST))
ZH_NOISE = ''.join(c for c in dict.fromkeys(ZH_NOISE) if c not in _ENTITY_CHARS)


def augment(chunks: list[list[str]], rng: random.Random, zh: bool) -> list[list[str]]:
    """Swap ~25% of O words for pseudo-words and insert 0–2 more, keeping entity chunks intact."""
    out: list[list[str]] = []
    for text, tag in chunks:
        if tag != 'O':
            out.append([text, tag])
            continue
        if zh:
            chars = [rng.choice(ZH_NOISE) if (c.strip() and c not in '，。：、' and rng.random() < 0.2) else c
                     for c in text]
            if rng.random() < 0.3:
                chars.insert(rng.randint(0, len(chars)), ''.join(rng.choice(ZH_NOISE) for _ in range(rng.randint(1, 3))))
            out.append([''.join(chars), 'O'])
        else:
            words = text.split(' ')
            words = [pseudo_word(rng) if (w.isalpha() and rng.random() < 0.25) else w for w in words]
            if rng.random() < 0.3:
                words.insert(rng.randint(0, len(words)), pseudo_word(rng))
            out.append([' '.join(words), 'O'])
    return out


def example(rng: random.Random, templates_en: list[str], templates_zh: list[str], aug: bool) -> list[list[str]]:
    """One example: 1–3 sentences of one language, sometimes with a filler sentence."""
    zh = rng.random() < 0.45
    chunks: list[list[str]] = []
    for i in range(rng.choice([1, 1, 2, 3])):
        if rng.random() < 0.12:
            chunks.append([rng.choice(ZH_FILLERS if zh else EN_FILLERS), 'O'])
        else:
            t = rng.choice(templates_zh if zh else templates_en)
            s = render(t, zh_fill if zh else en_fill, rng)
            if not zh and s:
                s[0][0] = s[0][0][:1].upper() + s[0][0][1:]
            chunks.extend(s)
        if not zh:
            chunks.append([' ', 'O'])
    if aug:
        chunks = augment(chunks, rng, zh)
    # merge neighbouring O chunks so the file stays small
    merged: list[list[str]] = []
    for text, tag in chunks:
        if merged and tag == 'O' and merged[-1][1] == 'O':
            merged[-1][0] += text
        else:
            merged.append([text, tag])
    return merged


_EN_FINDING_RE = re.compile(r'(?<![A-Za-z0-9])(' + '|'.join(
    re.escape(f) for f in sorted(EN_FINDINGS, key=len, reverse=True)) + r')(?![A-Za-z0-9])', re.IGNORECASE)


def weak_chunks(record: dict) -> list[list[str]]:
    """A weak-label record {text, spans: [[start, end, TYPE]], reserved: [[start, end]]} → chunks [[text, tag], …]."""
    text = record['text']
    spans = [(s, e, t) for s, e, t in record['spans']]
    taken = [(s, e) for s, e, _t in spans] + [(s, e) for s, e in record['reserved']]
    for m in _EN_FINDING_RE.finditer(text):
        if not any(m.start() < e and m.end() > s for s, e in taken):
            spans.append((m.start(), m.end(), 'FINDING'))
            taken.append((m.start(), m.end()))
    chunks: list[list[str]] = []
    pos = 0
    for s, e, t in sorted(spans):
        if s > pos:
            chunks.append([text[pos:s], 'O'])
        chunks.append([text[s:e], t])
        pos = e
    if pos < len(text):
        chunks.append([text[pos:], 'O'])
    return chunks


# The sentence split of src/nlp/sentences.ts (ported, for the frozen-test exclusion below): ends at . ! ? ; and their
# Chinese forms, blank lines and list numbers; not inside "1.2", after an abbreviation or before "3.5cm".
_END = re.compile(r'[.!?;。！？；]+|\n\s*\n|\n(?=\s*(?:\d{1,2}[.)]\s|[-•*]\s|[A-Z][A-Z ]{2,}:))')
_ABBREVIATIONS = {'dr', 'mr', 'mrs', 'ms', 'vs', 'e.g', 'i.e', 'a.m', 'p.m', 'approx', 'fig', 'st'}
_HAN = re.compile(r'[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]')


def sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        at, mark = m.start(), m.group(0)
        after = text[at + len(mark)] if at + len(mark) < len(text) else ''
        if mark == '.':
            before = text[at - 1] if at > 0 else ''
            if before.isdigit() and after.isdigit():
                continue
            w = re.search(r'([A-Za-z.]+)$', text[max(0, at - 8):at])
            word = w.group(1).lower() if w else ''
            if word in _ABBREVIATIONS and after.isspace():
                continue
            if re.fullmatch(r'[a-z]', word) and re.fullmatch(r'[a-z]', text[at + 1] if at + 1 < len(text) else ''):
                continue
            if after != '' and not (after.isspace() or after in '"\')]' or _HAN.match(after)):
                continue
        if text[start:at + len(mark)].strip():
            out.append(text[start:at + len(mark)].strip())
        start = at + len(mark)
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def sentence_key_hashes(text: str) -> set[str]:
    """sha256 of the comparison key (lower case, whitespace runs as one space) of the text and of each sentence."""
    key = lambda t: hashlib.sha256(re.sub(r'\s+', ' ', t.lower()).strip().encode('utf-8')).hexdigest()  # noqa: E731
    return {key(text)} | {key(t) for t in sentences(text)}


def weak_is_dev(text: str) -> bool:
    """One weak sentence in ten, chosen by its text's hash (stable across runs and orderings), is held out."""
    return int(hashlib.sha256(text.encode('utf-8')).hexdigest(), 16) % 10 == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='var/nlp/ner-data')
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--n-train', type=int, default=9000)
    ap.add_argument('--n-dev', type=int, default=600)
    ap.add_argument('--n-test', type=int, default=600)
    ap.add_argument('--weak', help='weak-label JSONL of scripts/nlp/weak-labels.mjs to add to train (and weak-dev)')
    ap.add_argument('--exclude-keys', help='sha256 list of frozen-test sentence keys (scripts/nlp/weak-labels.mjs): '
                    'an example that says one of those sentences is left out of every split')
    a = ap.parse_args()
    excluded = set()
    if a.exclude_keys:
        with open(a.exclude_keys, encoding='utf-8') as f:
            excluded = {line.strip() for line in f if line.strip()}
    clean = lambda chunks: not (sentence_key_hashes(''.join(t for t, _tag in chunks)) & excluded)  # noqa: E731
    dropped = collections.Counter()
    os.makedirs(a.out, exist_ok=True)
    splits = [('train', a.n_train, EN_TRAIN, ZH_TRAIN, True), ('dev', a.n_dev, EN_TRAIN, ZH_TRAIN, False),
              ('test', a.n_test, EN_TEST, ZH_TEST, False)]
    for k, (name, n, ten, tzh, aug) in enumerate(splits):
        rng = random.Random(a.seed * 1000 + k)  # one stream per split: resizing one split never changes another
        with open(os.path.join(a.out, f'{name}.jsonl'), 'w', encoding='utf-8') as f:
            for _ in range(n):
                ex = example(rng, ten, tzh, aug)
                if clean(ex):
                    f.write(json.dumps(ex, ensure_ascii=False) + '\n')
                else:
                    dropped[name] += 1
    print(f'wrote {a.n_train}/{a.n_dev}/{a.n_test} examples to {a.out}, less those saying a frozen-test sentence: '
          f'{dict(dropped)}')
    if a.weak:
        with open(a.weak, encoding='utf-8') as f:
            records = [json.loads(line) for line in f if line.strip()]
        kept = [r for r in records if clean([[r['text'], 'O']])]
        if len(kept) < len(records):  # weak-labels.mjs already leaves these out: this is a second line of defence
            raise SystemExit(f'{len(records) - len(kept)} weak-label sentences say a frozen-test sentence')
        held = [r for r in records if weak_is_dev(r['text'])]
        used = [r for r in records if not weak_is_dev(r['text'])]
        with open(os.path.join(a.out, 'train.jsonl'), 'a', encoding='utf-8') as f:
            for r in used:
                f.write(json.dumps(weak_chunks(r), ensure_ascii=False) + '\n')
        with open(os.path.join(a.out, 'weak-dev.jsonl'), 'w', encoding='utf-8') as f:
            for r in held:
                f.write(json.dumps(weak_chunks(r), ensure_ascii=False) + '\n')
        print(f'added {len(used)} weakly labelled sentences to train, {len(held)} to weak-dev')


if __name__ == '__main__':
    main()
