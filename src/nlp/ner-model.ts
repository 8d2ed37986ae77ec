// Runs the report-NER token classifier with @huggingface/transformers from a local folder (remote loading off)
// and maps its word-piece tags back to character spans of the input text.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AutoModelForTokenClassification, AutoTokenizer, Tensor, env,
  type PreTrainedModel, type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { GatewayError } from '../errors.js';
import { bertWords, type BertWord } from './bert-words.js';
import { ENTITY_TYPES, type EntityType, type ModelEntity } from './types.js';

/** The shipped demo model: models/report-ner (from dist/src/nlp/ → repository root). */
export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models/report-ner');

export interface NerModelOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx. */
  modelDir?: string;
  /** Words per model window; longer sentences are cut into windows (the model was trained on ≤ 126 pieces). */
  maxWordsPerWindow?: number;
  /** Windows per ONNX run. */
  batchSize?: number;
  /**
   * Longest text handed to the tokenizer in one piece (default 2,000 characters); a longer "sentence" (a report
   * without sentence ends) is cut at whitespace into pieces tagged one by one. Real sentences are far shorter
   * (the longest of OpenI's is 262), so they are never cut.
   */
  maxCharsPerText?: number;
}

/** Options of one tag() call. */
export interface TagOptions {
  /** Awaited before each ONNX run: the caller yields to the event loop there, or throws to stop (time budget). */
  beforeBatch?: () => Promise<void>;
}

/** A loaded NER model. */
export interface NerModel {
  readonly modelDir: string;
  /** BIO labels by class index, from config.json id2label. */
  readonly labels: readonly string[];
  /** Tags each text; entity offsets are into that text. */
  tag(texts: readonly string[], options?: TagOptions): Promise<ModelEntity[][]>;
  /** Texts whose tokenizer output did not line up with the word split (then our own WordPiece was used). */
  readonly alignmentFallbacks: number;
  dispose(): Promise<void>;
}

const MAX_PIECES = 126; // + [CLS] and [SEP] = 128, the training length
/** The files transformers.js reads from a local model folder; with remote loading off, a missing one is an error. */
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

/**
 * Loads the model from a local folder only: `env.allowRemoteModels` is false while it loads, so a missing file is
 * an error, never a download. transformers.js resolves model ids against the global `env.localModelPath`; it is set
 * to the model's parent folder for the load and put back afterwards, so other users of the library are not moved.
 */
export async function loadNerModel(options: NerModelOptions = {}): Promise<NerModel> {
  const modelDir = resolve(options.modelDir ?? DEFAULT_MODEL_DIR);
  // checked here so a wrong folder gives one clear message (the library's own errors name internals)
  const missing = MODEL_FILES.filter((f) => !existsSync(join(modelDir, f)));
  if (missing.length > 0) {
    throw new GatewayError(
      'GW_ERR_CONFIG_INVALID',
      `report NER model folder ${modelDir} lacks ${missing.join(', ')}: point the model folder at one holding ` +
        `${MODEL_FILES.join(', ')} (models/report-ner, made by models/report-ner/train.py)`,
      { context: { modelDir, missing: missing.join(',') } },
    );
  }
  const saved = { remote: env.allowRemoteModels, local: env.allowLocalModels, path: env.localModelPath };
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(basename(modelDir));
    // One thread, not spinning between runs (as the image engine, src/ai/onnx-session.ts): a report is small, and
    // the cores belong to DICOM and HL7 intake. Measured here: reports/s within noise of the default two threads.
    model = await AutoModelForTokenClassification.from_pretrained(basename(modelDir), {
      device: 'cpu', dtype: 'fp32',
      session_options: { intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } },
    });
  } finally {
    env.allowRemoteModels = saved.remote;
    env.allowLocalModels = saved.local;
    env.localModelPath = saved.path;
  }
  const id2label = (model.config as unknown as { id2label?: Record<string, string> }).id2label ?? {};
  const labels = Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k] as string);
  return new TransformersNer(modelDir, tokenizer, model, labels, options);
}

/** A piece of an input text: the whole text, or a part of a long one cut at whitespace. */
interface Piece {
  /** Index of the input text. */
  text: number;
  /** Where the piece starts in that text. */
  offset: number;
  body: string;
}

/** Cuts text into pieces of at most maxChars, at the last whitespace in each stretch where there is one. */
export function cutText(text: string, maxChars: number): Array<[number, string]> {
  if (text.length <= maxChars) return [[0, text]];
  const out: Array<[number, string]> = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + maxChars, text.length);
    if (end < text.length) {
      let cut = end;
      while (cut > start && !/\s/u.test(text[cut] as string)) cut--;
      if (cut > start) end = cut;
      else if (/[\uDC00-\uDFFF]/u.test(text[end] as string)) end--; // never split a surrogate pair
    }
    out.push([start, text.slice(start, end)]);
    start = end;
  }
  return out;
}

interface Window {
  /** Index of the piece. */
  text: number;
  words: BertWord[];
  /** Index into `ids` of each word's first piece. */
  firstPiece: number[];
  ids: number[];
}

class TransformersNer implements NerModel {
  alignmentFallbacks = 0;
  private readonly vocab: Map<string, number>;
  private readonly maxWords: number;
  private readonly batchSize: number;
  private readonly maxChars: number;

  constructor(
    readonly modelDir: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly labels: readonly string[],
    options: NerModelOptions,
  ) {
    this.vocab = tokenizer.get_vocab();
    this.maxWords = options.maxWordsPerWindow ?? 100;
    this.batchSize = options.batchSize ?? 32;
    this.maxChars = options.maxCharsPerText ?? 2_000;
  }

  async tag(texts: readonly string[], options: TagOptions = {}): Promise<ModelEntity[][]> {
    const pieces: Piece[] = [];
    texts.forEach((t, i) => {
      for (const [offset, body] of cutText(t, this.maxChars)) pieces.push({ text: i, offset, body });
    });
    const windows = pieces.flatMap((p, k) => this.windows(p.body, k));
    const tags = new Map<Window, string[]>();
    // similar lengths together: less padding per batch
    const order = [...windows].sort((a, b) => a.ids.length - b.ids.length);
    for (let i = 0; i < order.length; i += this.batchSize) {
      await options.beforeBatch?.();
      const batch = order.slice(i, i + this.batchSize);
      const predicted = await this.run(batch);
      batch.forEach((w, k) => tags.set(w, predicted[k] as string[]));
    }
    const out: ModelEntity[][] = texts.map(() => []);
    for (const w of windows) {
      const pieceTags = tags.get(w) ?? [];
      const wordTags = w.firstPiece.map((p) => pieceTags[p] ?? 'O');
      const piece = pieces[w.text] as Piece;
      const into = out[piece.text] as ModelEntity[];
      // a loop, not push(...spread): a long text can have more entities than the stack has room for arguments
      for (const e of decode(piece.body, w.words, wordTags)) {
        into.push(piece.offset === 0 ? e : { ...e, start: e.start + piece.offset, end: e.end + piece.offset });
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** Word pieces of a text from the library's tokenizer, grouped per BERT word and cut into windows. */
  private windows(text: string, index: number): Window[] {
    const words = bertWords(text);
    if (words.length === 0) return [];
    const perWord = this.piecesPerWord(text, words);
    const out: Window[] = [];
    let cur: Window = { text: index, words: [], firstPiece: [], ids: [] };
    const unk = this.vocab.get('[UNK]') ?? 1;
    words.forEach((w, i) => {
      const pieces = perWord[i] as string[];
      if (cur.words.length >= this.maxWords || cur.ids.length + pieces.length > MAX_PIECES) {
        out.push(cur);
        cur = { text: index, words: [], firstPiece: [], ids: [] };
      }
      cur.words.push(w);
      cur.firstPiece.push(cur.ids.length + 1); // +1: [CLS] comes first
      for (const p of pieces.slice(0, MAX_PIECES)) cur.ids.push(this.vocab.get(p) ?? unk);
    });
    out.push(cur);
    return out;
  }

  /**
   * The tokenizer's pieces split back into words: a piece without the "##" prefix starts the next word. If the
   * count does not match our word split (a normaliser corner case), WordPiece is run here on our words instead.
   */
  private piecesPerWord(text: string, words: BertWord[]): string[][] {
    const groups: string[][] = [];
    for (const p of this.tokenizer.tokenize(text)) {
      if (p.startsWith('##') && groups.length > 0) (groups[groups.length - 1] as string[]).push(p);
      else groups.push([p]);
    }
    if (groups.length === words.length) return groups;
    this.alignmentFallbacks++;
    return words.map((w) => wordPiece(w.norm, this.vocab));
  }

  private async run(batch: Window[]): Promise<string[][]> {
    const n = batch.reduce((most, w) => Math.max(most, w.ids.length), 0) + 2;
    const ids = new BigInt64Array(batch.length * n);
    const mask = new BigInt64Array(batch.length * n);
    const cls = BigInt(this.vocab.get('[CLS]') ?? 2);
    const sep = BigInt(this.vocab.get('[SEP]') ?? 3);
    batch.forEach((w, r) => {
      const row = r * n;
      ids[row] = cls;
      w.ids.forEach((id, k) => (ids[row + 1 + k] = BigInt(id)));
      ids[row + 1 + w.ids.length] = sep;
      mask.fill(1n, row, row + w.ids.length + 2);
    });
    const dims = [batch.length, n];
    const { logits } = (await this.model({
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', mask, dims),
      token_type_ids: new Tensor('int64', new BigInt64Array(batch.length * n), dims),
    })) as { logits: Tensor };
    const data = logits.data as Float32Array;
    const classes = logits.dims[2] ?? this.labels.length;
    return batch.map((_, r) => {
      const tags: string[] = [];
      for (let t = 0; t < n; t++) {
        let best = 0;
        const at = (r * n + t) * classes;
        for (let c = 1; c < classes; c++) if ((data[at + c] as number) > (data[at + best] as number)) best = c;
        tags.push(this.labels[best] ?? 'O');
      }
      return tags;
    });
  }
}

/** Greedy longest-match WordPiece, as in tokenizer.json (fallback path only). */
export function wordPiece(word: string, vocab: Map<string, number>): string[] {
  if (word.length > 100) return ['[UNK]'];
  const pieces: string[] = [];
  let start = 0;
  while (start < word.length) {
    let end = word.length;
    let found: string | null = null;
    while (start < end) {
      const sub = (start > 0 ? '##' : '') + word.slice(start, end);
      if (vocab.has(sub)) {
        found = sub;
        break;
      }
      end--;
    }
    if (found === null) return ['[UNK]'];
    pieces.push(found);
    start = end;
  }
  return pieces;
}

const TYPES = new Set<string>(ENTITY_TYPES);

/** BIO word tags → entities with character spans; an I- tag that does not continue its type starts a new entity. */
export function decode(text: string, words: BertWord[], tags: string[]): ModelEntity[] {
  const out: ModelEntity[] = [];
  let cur: { type: EntityType; start: number; end: number } | null = null;
  const close = (): void => {
    if (cur) out.push({ ...cur, text: text.slice(cur.start, cur.end) });
    cur = null;
  };
  words.forEach((w, i) => {
    const tag = tags[i] ?? 'O';
    const type = tag.slice(2);
    if (tag === 'O' || !TYPES.has(type)) {
      close();
      return;
    }
    const open = cur as { type: EntityType; start: number; end: number } | null;
    if (tag.startsWith('I-') && open !== null && open.type === type) open.end = w.end;
    else {
      close();
      cur = { type: type as EntityType, start: w.start, end: w.end };
    }
  });
  close();
  return out;
}
