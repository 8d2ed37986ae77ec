/**
 * bench:nlp — reports/s through the report analyser on a realistic ~3 KB chest CT report (English, and a Chinese
 * one), side by side in one run with references: the rules alone, the tokenizer alone, and the same ONNX model run
 * directly with onnxruntime-node (own WordPiece) instead of through transformers.js. Prints ratios.
 * Usage: npm run bench:nlp [-- --seconds 5] [-- --model DIR]   (DIR: another model folder, e.g. a retrained one)
 */
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { analyzeReport, loadNerModel } from '../src/nlp/index.js';
import { splitSentences } from '../src/nlp/sentences.js';
import { bertWords } from '../src/nlp/bert-words.js';
import { wordPiece } from '../src/nlp/ner-model.js';
import { AutoTokenizer, env } from '@huggingface/transformers';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 4;
const modelArg = process.argv.indexOf('--model');
const MODEL_DIR = modelArg > 0 ? process.argv[modelArg + 1] : undefined;

// Written for this benchmark in the style of a real CT report; not patient data.
const EN = `EXAMINATION: CT CHEST WITH IV CONTRAST
CLINICAL HISTORY: 67-year-old former smoker with cough and weight loss. Evaluate for malignancy.
COMPARISON: Chest radiograph from two weeks prior and CT chest from last year.
TECHNIQUE: Axial images of the chest were obtained after intravenous contrast. Coronal and sagittal reformats were reviewed.

FINDINGS:
LUNGS AND AIRWAYS: There is a spiculated mass in the right upper lobe measuring 3.4 x 2.8 cm, previously 2.1 cm, with pleural retraction. A 6 mm solid nodule is seen in the left lower lobe, unchanged. A 4 mm ground-glass nodule in the right middle lobe is new. Mild centrilobular emphysema is present in both upper lobes. There is subsegmental atelectasis in the left lower lobe. No consolidation to suggest pneumonia. The central airways are patent. There is no endobronchial lesion.
PLEURA: Small right pleural effusion with adjacent compressive atelectasis. No left pleural effusion. No pneumothorax. No pleural thickening or calcified pleural plaques.
MEDIASTINUM AND HILA: Enlarged right paratracheal lymph node measuring 1.6 cm in short axis, suspicious for nodal metastasis. Subcarinal node measures 9 mm. The heart is mildly enlarged. There is no pericardial effusion. The thoracic aorta is normal in caliber with mild atherosclerotic calcification. The main pulmonary artery is not enlarged. There is no central pulmonary embolism.
VESSELS: The pulmonary arteries opacify well. There is no filling defect to suggest pulmonary embolism. The superior vena cava and brachiocephalic veins are patent. Mild coronary artery calcification is noted.
THYROID AND LOWER NECK: The visualized thyroid gland is unremarkable. No supraclavicular lymphadenopathy.
CHEST WALL AND BONES: There is a healing fracture of the left 7th rib. No lytic or blastic osseous lesion. Degenerative changes of the thoracic spine. No suspicious axillary lymphadenopathy.
UPPER ABDOMEN: A 1.2 cm hypodense lesion in the liver is too small to characterize, possibly a cyst. The adrenal glands are normal. No ascites.
LINES AND TUBES: A right internal jugular central venous catheter terminates in the superior vena cava. A nasogastric tube is in the stomach.

IMPRESSION:
1. Enlarging spiculated right upper lobe mass, highly suspicious for primary lung cancer. Tissue sampling is recommended.
2. Enlarged right paratracheal lymph node, concerning for nodal metastasis.
3. Small right pleural effusion. Malignant effusion cannot be excluded.
4. New 4 mm ground-glass nodule in the right middle lobe, likely inflammatory. Attention on follow-up.
5. Stable 6 mm left lower lobe nodule.
6. Mild cardiomegaly. No pulmonary edema.
7. Healing left 7th rib fracture.
8. Emphysema.
RECOMMENDATIONS: Multidisciplinary thoracic oncology review. PET-CT for staging if tissue sampling confirms malignancy. Follow-up CT of the chest in 3 months for the ground-glass nodule if it is not addressed at staging.
Findings were discussed with the referring physician at the time of dictation.`;

const ZH = `检查项目：胸部CT平扫+增强。
临床诊断：咳嗽、咯血一月余，体重下降，吸烟史30年。
检查所见：
胸廓对称，气管居中。右肺上叶后段见一不规则软组织肿块，大小约3.4cm×2.8cm，边缘分叶，可见毛刺及胸膜牵拉，增强扫描呈不均匀强化，较前片（2.1cm）明显增大。左肺下叶背段见一实性结节，直径约6mm，边界清，较前无明显变化。右肺中叶外侧段新见一磨玻璃结节，直径约4毫米。双肺上叶可见小叶中心型肺气肿。左肺下叶见条片状密度增高影，考虑亚段性肺不张。双肺未见明确实变影，不考虑肺炎。各叶段支气管通畅，未见支气管内占位。
右侧胸腔少量积液，邻近右肺下叶部分膨胀不全。左侧胸腔未见积液。未见气胸。双侧胸膜未见增厚及钙化。
纵隔内见多发肿大淋巴结，右侧气管旁最大者短径约1.6cm，考虑转移可能；隆突下淋巴结短径约9mm。心影稍大，心包未见积液。主动脉管壁可见钙化斑块，管径未见扩张。肺动脉主干未见增宽，其内未见充盈缺损。
左侧第7肋骨见骨折线，周围可见骨痂形成，考虑陈旧性骨折。所见胸椎骨质增生，未见溶骨性或成骨性骨质破坏。双侧腋窝未见肿大淋巴结。
扫描范围内肝右叶见一约1.2cm低密度灶，囊肿可能；双侧肾上腺未见异常；未见腹水。
右侧颈内静脉置管，末端位于上腔静脉内；胃管末端位于胃腔内。
肺动脉及其分支显影良好，未见明确充盈缺损，不考虑肺栓塞。上腔静脉及头臂静脉通畅。冠状动脉走行区可见少许钙化斑块。
甲状腺大小、形态未见异常，密度均匀，未见结节。双侧锁骨上窝未见肿大淋巴结。
与前片比较：右肺上叶肿块较前增大约1.3厘米，右侧胸腔积液为新出现，左肺下叶结节大小同前，左侧肋骨骨折线较前模糊，提示愈合中。双肺气肿程度大致同前，未见新发实变或磨玻璃影。
诊断意见：
1．右肺上叶肿块较前增大，考虑周围型肺癌，建议穿刺活检。
2．纵隔淋巴结肿大，转移不除外。
3．右侧少量胸腔积液，恶性积液待排。
4．右肺中叶新发磨玻璃结节，炎性可能，建议随访。
5．左肺下叶实性结节，同前。
6．心影稍大，未见肺水肿。
7．左侧第7肋骨陈旧性骨折。
8．双肺肺气肿。
建议：1．胸部多学科会诊；2．如活检证实为恶性，行PET-CT分期检查；3．右肺中叶磨玻璃结节3个月后复查胸部CT；4．左侧胸腔积液如增多，可行超声引导下穿刺抽液送检，除外恶性胸腔积液。
以上结果已与临床医师沟通。`;

interface Result {
  name: string;
  perSecond: number;
}

async function rate(name: string, fn: () => Promise<unknown> | unknown): Promise<Result> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: JIT, ORT arena
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await fn();
    n++;
  }
  return { name, perSecond: n / ((performance.now() - t0) / 1000) };
}

const ner = await loadNerModel(MODEL_DIR === undefined ? {} : { modelDir: MODEL_DIR });
// the same model run directly with onnxruntime-node and our own WordPiece: the reference for transformers.js overhead
const session = await ort.InferenceSession.create(join(ner.modelDir, 'onnx/model.onnx'), {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all',
});
const saved = { remote: env.allowRemoteModels, path: env.localModelPath };
env.allowRemoteModels = false;
env.localModelPath = `${join(ner.modelDir, '..')}/`;
const tokenizer = await AutoTokenizer.from_pretrained(basename(ner.modelDir));
env.allowRemoteModels = saved.remote;
env.localModelPath = saved.path;
const vocab = tokenizer.get_vocab();

async function directOrt(text: string): Promise<void> {
  const seqs = splitSentences(text).map((s) => [2, ...bertWords(s.text).flatMap((w) => wordPiece(w.norm, vocab)).slice(0, 126).map((p) => vocab.get(p) ?? 1), 3]);
  const n = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * n);
  const mask = new BigInt64Array(seqs.length * n);
  seqs.forEach((s, r) => s.forEach((id, k) => { ids[r * n + k] = BigInt(id); mask[r * n + k] = 1n; }));
  const dims = [seqs.length, n];
  await session.run({
    input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), dims),
  });
}

console.log(`bench:nlp — ${SECONDS} s per row, one report at a time, 1 process; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const [lang, text] of [['English', EN], ['Chinese', ZH]] as const) {
  const bytes = Buffer.byteLength(text);
  const sentences = splitSentences(text).map((s) => s.text);
  const rows: Result[] = [
    await rate('analyser: model + rules', () => analyzeReport(text, { ner })),
    await rate('NER model only (transformers.js)', () => ner.tag(sentences)),
    await rate('NER model only (onnxruntime-node direct)', () => directOrt(text)),
    await rate('tokenizer only (transformers.js)', () => sentences.map((s) => tokenizer.tokenize(s))),
    await rate('rules only (no model)', () => analyzeReport(text, {})),
  ];
  const base = rows[0] as Result;
  const found = (await analyzeReport(text, { ner })).findings.length;
  console.log(`\n${lang} report: ${bytes} bytes, ${sentences.length} sentences, ${found} findings`);
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(44)} ${r.perSecond.toFixed(1).padStart(8)} reports/s   ×${(r.perSecond / base.perSecond).toFixed(2)} vs analyser`);
  }
}
console.log('\ntarget (issue 5): ≥ 50 reports/s through the NER on CPU');
await ner.dispose();
await session.release();
